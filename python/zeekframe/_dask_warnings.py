"""A read's warnings on a Dask cluster: gathered from the workers into one per result.

A partition that skips bad lines (``on_bad_line="skip"``) or reads a last line without a line
end warns about its own lines only. On a ``distributed`` cluster those warnings are sent to
the scheduler, where a plugin (installed by the first worker that has one to send) keeps them
with each result the client asked for that depends on the partition: when that result is
computed, or fails, the client gets one :class:`~zeekframe.ZeekSkippedLinesWarning` with the
total count and the first lines in partition order, and one
:class:`~zeekframe.ZeekIncompleteLineWarning` naming every such line. They arrive before
``compute()`` returns. A scheduler that cannot install the plugin (zeekframe not importable
there) gets each partition's warning as ``distributed.warn`` sends it.

This module imports ``distributed``; only workers and the scheduler import it.
"""

from __future__ import annotations

import logging
import pickle
import time
import warnings
from typing import Any

from distributed import get_client, get_worker
from distributed import warn as distributed_warn
from distributed.diagnostics.plugin import SchedulerPlugin

from zeekframe import _core
from zeekframe.exceptions import ZeekIncompleteLineWarning, ZeekSkippedLinesWarning
from zeekframe.io import skipped_warning, unterminated_warning

TOPIC = "zeekframe-read-warning"
"""The event topic partitions send their warnings on."""

NAME = "zeekframe-read-warnings"
"""The scheduler plugin's name."""

logger = logging.getLogger(__name__)


def warn(message: Warning, stacklevel: int = 1) -> None:
    """Warn about a partition's lines: on a worker through the scheduler's plugin."""
    try:
        worker = get_worker()
    except ValueError:
        warnings.warn(message, stacklevel=stacklevel + 1)
        return
    key = worker.get_current_task()
    if key is None or not _ensure_plugin():
        distributed_warn(message)
        return
    worker.log_event(TOPIC, {"key": pickle.dumps(key), "warning": pickle.dumps(message)})


def _ensure_plugin() -> bool:
    """Put the plugin in place on this worker's scheduler, unless there already.

    Asked at every warning (partitions that skip lines are few), not remembered: a scheduler
    started again at the same address has no plugin.
    """
    try:
        return bool(get_client().run_on_scheduler(_install))  # type: ignore[no-untyped-call]
    except Exception:  # the scheduler cannot import zeekframe, or is gone: warn directly
        logger.info("zeekframe's warning plugin could not be installed", exc_info=True)
        return False


def _install(dask_scheduler: Any) -> bool:
    """Run on the scheduler: put the plugin in place once."""
    dask_scheduler.add_plugin(GatheredWarnings(dask_scheduler), name=NAME, idempotent=True)
    return True


class GatheredWarnings(SchedulerPlugin):  # type: ignore[misc,unused-ignore]
    """Keeps partitions' warnings with the results that wait for them; warns the client once.

    Every transition of every task passes through :meth:`transition`, which only looks the
    key up in a dict of the results that have warnings waiting.
    """

    name = NAME

    def __init__(self, scheduler: Any) -> None:
        self.scheduler = scheduler
        self.pending: dict[Any, dict[Any, bytes]] = {}
        """Per wanted result: the warnings of the partitions it depends on, by partition key."""

    def log_event(self, topic: str, msg: Any) -> None:
        if topic != TOPIC:
            return
        key = pickle.loads(msg["key"])
        task = self.scheduler.tasks.get(key)
        wanted = _wanted(task) if task is not None else []
        if not wanted:
            # Nobody waits for a result of this task any more: say it now, to everyone.
            self._send([msg["warning"]], None)
            return
        for result in wanted:
            # By partition key: a partition run again (a lost worker) is counted once.
            self.pending.setdefault(result, {})[key] = msg["warning"]

    def transition(self, key: Any, start: str, finish: str, *args: Any, **kwargs: Any) -> None:
        if key not in self.pending:
            return
        if finish in ("memory", "erred"):
            gathered = self.pending.pop(key)
            task = self.scheduler.tasks.get(key)
            clients = [c.client_key for c in task.who_wants] if task is not None else None
            self._send([gathered[k] for k in sorted(gathered, key=_order)], clients)
        elif finish == "forgotten":
            del self.pending[key]

    def _send(self, pickled: list[bytes], clients: list[str] | None) -> None:
        if clients is None:
            clients = list(self.scheduler.clients)
        event = {"op": "event", "topic": "warn"}
        messages = []
        for warning in merge([pickle.loads(w) for w in pickled]):
            body = {"message": pickle.dumps(warning), "category": pickle.dumps(type(warning))}
            messages.append({**event, "event": (time.time(), body)})
        # Sent now, ahead of the result's own "in memory" message to the same client.
        self.scheduler.send_all({c: list(messages) for c in clients}, worker_msgs={})


def _wanted(task: Any) -> list[Any]:
    """The keys of the results some client wants that depend on ``task`` (or are it)."""
    seen = {task}
    stack = [task]
    found = []
    while stack:
        current = stack.pop()
        if current.who_wants:
            found.append(current.key)
        for dependent in current.dependents:
            if dependent not in seen:
                seen.add(dependent)
                stack.append(dependent)
    return found


def _order(key: Any) -> tuple[str, int]:
    """Partition order: ``(name, index)`` keys by index; any other key after, by name."""
    if isinstance(key, tuple) and len(key) == 2 and isinstance(key[1], int):
        return (str(key[0]), key[1])
    return (str(key), -1)


def merge(found: list[Warning]) -> list[Warning]:
    """Partitions' warnings, in partition order, as one of each kind.

    Skipped lines are counted in all and the first of them named (as many as a read names);
    every last line without a line end is named. Other warnings pass unchanged.

    Example:
        >>> from zeekframe.io import skipped_warning
        >>> [w.count for w in merge([skipped_warning(2, []), skipped_warning(3, [])])]
        [5]
    """
    skipped = [w for w in found if isinstance(w, ZeekSkippedLinesWarning)]
    unterminated = [w for w in found if isinstance(w, ZeekIncompleteLineWarning)]
    merged: list[Warning] = [
        w for w in found if not isinstance(w, (ZeekSkippedLinesWarning, ZeekIncompleteLineWarning))
    ]
    if skipped:
        lines = [line for w in skipped for line in w.lines][: _core.MAX_REPORTED_LINES]
        merged.append(skipped_warning(sum(w.count for w in skipped), lines))
    if unterminated:
        merged.append(unterminated_warning([line for w in unterminated for line in w.lines]))
    return merged
