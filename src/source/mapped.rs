//! Plain files read through a memory mapping instead of copied into buffers.
//!
//! A plain log of at least [`super::ChunkOptions::map_min_bytes`] is mapped read-only and
//! cut into chunks that are parts of the mapping: the parsers read the page cache itself,
//! so the file's bytes are not copied into a buffer first (that copy is about a sixth of a
//! sampled read's CPU).
//!
//! A mapped file that shrinks while it is read (`logrotate`'s `copytruncate`, a sensor
//! replacing a log in place) would kill the process: touching a page past the file's new
//! end raises `SIGBUS`. Every mapping is registered here, and a `SIGBUS` handler in front of
//! whatever handler was installed before it maps zero pages over the rest of a registered
//! mapping the fault falls in, marks it cut, and returns, so the faulting read goes on over
//! zeros. The reader and the parsers check the mark after each chunk, and a chunk read
//! from a cut mapping is a fatal `Truncated` error of its file: rows read before the cut are
//! exact, rows after it are never returned. A fault outside every registered mapping (and a
//! `SIGBUS` sent by another process) goes to the previous handler, or to the default action,
//! as if this handler were not there.
//!
//! What the mapping cannot catch: a file whose bytes are rewritten in place (not shortened)
//! while it is read gives the new bytes for the pages not yet read, as a `read()` would.

use std::fs::File;
use std::os::unix::io::AsRawFd;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

/// Mappings registered at once; a read that finds every slot taken reads its file instead.
const SLOTS: usize = 256;

/// One registered mapping: `[start, end)` of the address space (`end` is 0 for a free slot
/// and 1 while a slot is being filled in).
struct Slot {
    start: AtomicUsize,
    end: AtomicUsize,
    cut: AtomicBool,
}

#[allow(clippy::declare_interior_mutable_const)] // Only used to initialise `REGISTRY`.
const FREE: Slot = Slot {
    start: AtomicUsize::new(0),
    end: AtomicUsize::new(0),
    cut: AtomicBool::new(false),
};
static REGISTRY: [Slot; SLOTS] = [FREE; SLOTS];

/// The handler installed before ours, called for faults that are not ours. Each install
/// leaks one `sigaction` (installs happen once, and again only after another handler has
/// replaced ours), so a handler running on another thread never reads a freed one.
static PREVIOUS: AtomicPtr<libc::sigaction> = AtomicPtr::new(std::ptr::null_mut());
/// The address of the last fault passed on to the previous handler: a second fault at the
/// same address means that handler returned without curing it (or handed the signal back
/// to ours), and the default action is taken instead of looping.
static LAST_FOREIGN: AtomicUsize = AtomicUsize::new(0);
static INSTALL: Mutex<()> = Mutex::new(());

fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(size)
        .ok()
        .filter(|&s| s > 0)
        .unwrap_or(4096)
}

/// Let the signal take its default action: for a fault, the instruction runs again on return
/// and the process ends by `SIGBUS` as it would have without us.
fn default_action(code: libc::c_int) {
    // SAFETY: sigaction and raise are async-signal-safe; the action is a plain SIG_DFL.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = libc::SIG_DFL;
        libc::sigaction(libc::SIGBUS, &action, std::ptr::null_mut());
        if code <= 0 {
            // Sent by a process, not a fault: it does not come back by itself.
            libc::raise(libc::SIGBUS);
        }
    }
}

extern "C" fn on_sigbus(
    signal: libc::c_int,
    info: *mut libc::siginfo_t,
    context: *mut libc::c_void,
) {
    // SAFETY: the kernel passes a valid siginfo to an SA_SIGINFO handler.
    let (code, address) = unsafe { ((*info).si_code, (*info).si_addr() as usize) };
    if code > 0 {
        for slot in &REGISTRY {
            let end = slot.end.load(Ordering::Acquire);
            if end <= 1 {
                continue;
            }
            let start = slot.start.load(Ordering::Acquire);
            if address < start || address >= end {
                continue;
            }
            let page = address & !(page_size() - 1);
            // SAFETY: `[page, end)` lies inside a live mapping of ours (a slot is freed before
            // its mapping is unmapped, and a thread reading it keeps it alive); replacing its
            // pages by zero pages only changes what the readers of the cut file see.
            let zeros = unsafe {
                libc::mmap(
                    page as *mut libc::c_void,
                    end - page,
                    libc::PROT_READ,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
                    -1,
                    0,
                )
            };
            if zeros != libc::MAP_FAILED {
                slot.cut.store(true, Ordering::Release);
                return;
            }
        }
        if LAST_FOREIGN.swap(address, Ordering::AcqRel) == address {
            default_action(code);
            return;
        }
    }
    let previous = PREVIOUS.load(Ordering::Acquire);
    // SAFETY: `PREVIOUS` only ever holds leaked, never freed `sigaction`s.
    let Some(previous) = (unsafe { previous.as_ref() }) else {
        default_action(code);
        return;
    };
    let handler = previous.sa_sigaction;
    if handler == libc::SIG_DFL || handler == on_sigbus as *const () as libc::sighandler_t {
        default_action(code);
    } else if handler == libc::SIG_IGN {
        if code > 0 {
            // A fault cannot be ignored: the kernel would deliver it again forever.
            default_action(code);
        }
    } else if previous.sa_flags & libc::SA_SIGINFO != 0 {
        // SAFETY: a handler installed with SA_SIGINFO has this signature.
        let handler: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
            unsafe { std::mem::transmute(handler) };
        handler(signal, info, context);
    } else {
        // SAFETY: a handler installed without SA_SIGINFO has this signature.
        let handler: extern "C" fn(libc::c_int) = unsafe { std::mem::transmute(handler) };
        handler(signal);
    }
}

/// Make sure our handler is the one installed, in front of whatever is there now (Python's
/// `faulthandler`, enabled after an earlier read, replaces it). False if it cannot be.
fn guard() -> bool {
    let _lock = INSTALL.lock().unwrap_or_else(PoisonError::into_inner);
    let ours = on_sigbus as *const () as libc::sighandler_t;
    // SAFETY: sigaction with a null new action only reads the current one; the new action
    // is fully initialised, and the previous one it chains to is leaked before ours is set.
    unsafe {
        let mut current: libc::sigaction = std::mem::zeroed();
        if libc::sigaction(libc::SIGBUS, std::ptr::null(), &mut current) != 0 {
            return false;
        }
        if current.sa_sigaction == ours {
            return true;
        }
        PREVIOUS.store(Box::into_raw(Box::new(current)), Ordering::Release);
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = ours;
        action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(libc::SIGBUS, &action, std::ptr::null_mut()) == 0
    }
}

/// A read-only mapping of part of a file, registered with the `SIGBUS` handler.
#[derive(Debug)]
pub struct MappedFile {
    address: NonNull<u8>,
    /// Bytes mapped, from the page boundary at or before the first byte wanted.
    mapped: usize,
    /// Bytes mapped before the first byte wanted.
    lead: usize,
    /// Where in the file the first byte wanted is.
    offset: u64,
    slot: usize,
    file: File,
}

// SAFETY: the mapping is read-only and lives until the `MappedFile` is dropped; reading it
// from any thread is what it is for.
unsafe impl Send for MappedFile {}
// SAFETY: as above; shared references only read.
unsafe impl Sync for MappedFile {}

impl MappedFile {
    /// Map `file` from `offset` to its end, if the mapping can be guarded (a slot is free
    /// and the handler installed) and made. `None`: read the file instead.
    pub fn map(file: &File, offset: u64, size: u64) -> Option<MappedFile> {
        let file = file.try_clone().ok()?;
        if offset >= size {
            return None;
        }
        let page = page_size() as u64;
        let aligned = offset - offset % page;
        let mapped = usize::try_from(size - aligned).ok()?;
        let slot = REGISTRY.iter().position(|slot| {
            slot.end
                .compare_exchange(0, 1, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
        })?;
        let free = || REGISTRY[slot].end.store(0, Ordering::Release);
        if !guard() {
            free();
            return None;
        }
        // SAFETY: a fresh read-only private mapping of an open file; the kernel picks the
        // address, and the length and page-aligned offset are within the file as measured.
        let address = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                mapped,
                libc::PROT_READ,
                libc::MAP_PRIVATE,
                file.as_raw_fd(),
                aligned as libc::off_t,
            )
        };
        if address == libc::MAP_FAILED {
            free();
            return None;
        }
        let Some(address) = NonNull::new(address.cast::<u8>()) else {
            free();
            return None;
        };
        let start = address.as_ptr() as usize;
        let registered = &REGISTRY[slot];
        registered.cut.store(false, Ordering::Relaxed);
        registered.start.store(start, Ordering::Release);
        // The handler covers whole pages: a fault is reported at any address of its page.
        let end = start + mapped.div_ceil(page as usize) * page as usize;
        registered.end.store(end, Ordering::Release);
        Some(MappedFile {
            address,
            mapped,
            lead: (offset - aligned) as usize,
            offset,
            slot,
            file,
        })
    }

    /// The file's bytes from the offset it was mapped at to its end (as it was measured).
    pub fn bytes(&self) -> &[u8] {
        // SAFETY: `mapped` bytes are mapped readable at `address` until drop; pages past a
        // shrunken file's end read as zeros (see the module documentation).
        unsafe {
            std::slice::from_raw_parts(
                self.address.as_ptr().add(self.lead),
                self.mapped - self.lead,
            )
        }
    }

    /// Whether the first `end` of `bytes` may not be the file's: it shrank while mapped,
    /// below `end` now or in a way that made some of `bytes` read as zeros. Checked after the
    /// bytes are read: a file is shortened before its lost pages are zeroed or unmapped
    /// (the page holding the new end, or a large folio that cannot be split, is zeroed
    /// past it in place, without a fault), so bytes read before the check are either the
    /// file's or caught by it.
    pub fn cut_before(&self, end: usize) -> bool {
        if REGISTRY[self.slot].cut.load(Ordering::Acquire) {
            return true;
        }
        match self.file.metadata() {
            Ok(metadata) => metadata.len() < self.offset + end as u64,
            Err(_) => true,
        }
    }

    /// Ask the kernel to read `range` of `bytes` ahead (a no-op when it is cached).
    pub fn will_need(&self, range: std::ops::Range<usize>) {
        let page = page_size();
        let from = (self.lead + range.start) & !(page - 1);
        self.advise(from, self.lead + range.end, libc::MADV_WILLNEED);
    }

    /// Let go of the pages wholly inside `range` of `bytes` once they are parsed: they stay
    /// in the page cache, but leave the process's resident set, which would otherwise grow by
    /// the whole file until the read ends. A page read again is mapped again from the file.
    pub fn release(&self, range: std::ops::Range<usize>) {
        let page = page_size();
        let from = (self.lead + range.start).div_ceil(page) * page;
        let to = (self.lead + range.end) & !(page - 1);
        self.advise(from, to, libc::MADV_DONTNEED);
    }

    /// `madvise` over `[from, to)` of the mapping, `from` a page boundary.
    fn advise(&self, from: usize, to: usize, advice: libc::c_int) {
        if to <= from || to > self.mapped {
            return;
        }
        // SAFETY: the range lies inside the mapping, which is private and never written:
        // reading ahead changes nothing, and dropping its pages loses nothing (a later read
        // maps the file's pages again).
        unsafe {
            libc::madvise(self.address.as_ptr().add(from).cast(), to - from, advice);
        }
    }
}

impl Drop for MappedFile {
    fn drop(&mut self) {
        // The slot is freed first, so no fault is ever matched to an unmapped range.
        REGISTRY[self.slot].end.store(0, Ordering::Release);
        // SAFETY: the mapping made in `map`, unmapped once; no reference to it outlives
        // `self` (`bytes` borrows it).
        unsafe {
            libc::munmap(self.address.as_ptr().cast(), self.mapped);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::TempLog;

    fn open(log: &TempLog) -> File {
        File::open(log.path()).expect("the file was just written")
    }

    #[test]
    fn a_file_shrunk_while_mapped_reads_as_zeros_past_its_new_end_and_is_marked_cut() {
        let page = page_size();
        let text: Vec<u8> = (0..16 * page).map(|i| b'a' + (i % 26) as u8).collect();
        let log = TempLog::new("mapped-shrink.log", &text);
        let file = open(&log);
        let map = MappedFile::map(&file, 100, text.len() as u64).expect("maps");
        assert_eq!(map.bytes(), &text[100..]);
        assert!(!map.cut_before(map.bytes().len()));
        std::fs::OpenOptions::new()
            .write(true)
            .open(log.path())
            .and_then(|f| f.set_len(3 * page as u64 + 10))
            .expect("truncates");
        let bytes = map.bytes();
        // The page holding the new end still reads the file (zeros past the end, from the
        // kernel); the pages after it fault and read as zeros from the handler.
        assert_eq!(bytes[3 * page - 100], text[3 * page]);
        // Past the new end, whether a fault showed it or not.
        assert!(map.cut_before(4 * page));
        assert!(!map.cut_before(3 * page - 100));
        assert_eq!(bytes[12 * page], 0);
        assert!(map.cut_before(1), "a fault marks the whole mapping");
        assert!(bytes[3 * page - 90..].iter().all(|&b| b == 0));
        drop(map);
        let again = MappedFile::map(&file, 0, 3 * page as u64 + 10).expect("maps");
        assert!(
            !again.cut_before(10),
            "a slot's mark does not outlive its mapping"
        );
        assert_eq!(&again.bytes()[..10], &text[..10]);
    }

    #[test]
    fn mappings_of_every_offset_give_the_files_bytes() {
        let text: Vec<u8> = (0..3 * page_size() + 77).map(|i| (i % 251) as u8).collect();
        let log = TempLog::new("mapped-offsets.log", &text);
        let file = open(&log);
        for offset in [0, 1, 4095, 4096, 4097, text.len() - 1] {
            let map = MappedFile::map(&file, offset as u64, text.len() as u64).expect("maps");
            assert_eq!(map.bytes(), &text[offset..]);
            map.will_need(0..map.bytes().len());
            map.release(0..map.bytes().len());
            assert_eq!(
                map.bytes(),
                &text[offset..],
                "released pages read the file again"
            );
        }
        assert!(MappedFile::map(&file, text.len() as u64, text.len() as u64).is_none());
    }
}
