//! Memory for column values: large zeroed regions mapped straight from the kernel, from which
//! each chunk's columns take exact slices.
//!
//! Why: a frame of a few hundred MB is all fresh memory, and making it resident is a large
//! share of a read (a third of the CPU time of a 2M-row conn.log). The regions are zero-filled
//! by the kernel, so null values need no write and the pages of an all-null column (common
//! in Zeek logs: fields a sensor never sets) are never touched at all. Transparent huge pages
//! were measured too: fewer faults, but on virtual machines the first touch of never-used
//! guest memory made reads slower and far less predictable, so they are not requested.
//! Each Arrow buffer keeps its region alive. When its last buffer goes (the frame was
//! dropped), a region of the usual size is kept for the next read in a small pool, up to
//! [`POOL_BYTES`]: on a virtual machine the first touch of a fresh page costs microseconds
//! (0.65 ms per MB measured on a 2-core AMD EPYC VM, a third of a 2M-row read's CPU time),
//! while zeroing a page that is already resident costs a few percent of that, so a notebook
//! that reads a log again reuses warm memory. Anything beyond the pool is unmapped.
//! A fresh region is made resident a stretch at a time just ahead of the values written
//! (`MADV_POPULATE_WRITE`, one system call instead of a fault per page: about a third less
//! CPU per page on such a VM), never under runs of nulls.

use arrow_buffer::{ArrowNativeType, Buffer};
use std::cell::RefCell;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Bytes mapped at a time. Only touched pages use memory, so the unused end of the last
/// region costs address space, not RAM.
const REGION: usize = 64 << 20;
const PAGE: usize = 4096;
/// Alignment of every slice: Arrow recommends 64 bytes.
const ALIGN: usize = 64;

/// Freed regions kept for reuse, at most this many bytes of them (address space; of that
/// only the part reads touched is resident).
pub const POOL_BYTES: usize = 16 * REGION;

/// The first and the largest stretch of a slice made resident at once ahead of the values
/// written into it (see [`Values::reach`]).
const POPULATE_FIRST: usize = 16 << 10;
const POPULATE_MOST: usize = 256 << 10;
/// Cleared when the kernel does not know `MADV_POPULATE_WRITE` (before Linux 5.14): pages
/// are then faulted in one at a time by the writes themselves.
static POPULATE_WORKS: AtomicBool = AtomicBool::new(true);

/// Make the pages under `len` bytes at `ptr` resident and writable in one call, as the first
/// write to each would one page fault at a time. Measured on a 2-core AMD EPYC VM: 1.6 us per
/// 4 KiB page in stretches of 256 KiB against 2.5 us per page faulted by a write (most of a
/// fault's cost is entering and leaving the kernel and the hypervisor once per page).
/// Only memory this process owns and is about to write is passed; the contents of pages
/// already resident are left as they are.
fn populate(ptr: *const u8, len: usize) {
    if len == 0 || !POPULATE_WORKS.load(Ordering::Relaxed) {
        return;
    }
    let start = ptr as usize & !(PAGE - 1);
    let end = (ptr as usize + len).next_multiple_of(PAGE);
    // SAFETY: the pages from `start` to `end` hold the caller's region slice, inside a
    // mapping that is readable and writable; populating changes no byte of them.
    let done = unsafe {
        libc::madvise(
            start as *mut libc::c_void,
            end - start,
            libc::MADV_POPULATE_WRITE,
        )
    };
    if done != 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EINVAL) {
        POPULATE_WORKS.store(false, Ordering::Relaxed);
    }
}

/// A mapping of `REGION` bytes whose first `dirty` bytes may hold old values.
struct Pooled {
    ptr: NonNull<u8>,
    dirty: usize,
}

// SAFETY: a pooled mapping is owned by the pool alone; no slice of it is alive.
unsafe impl Send for Pooled {}

/// Regions of `REGION` bytes whose buffers are all gone, with the process that pooled them:
/// a forked child must not reuse its parent's list (its lock may have been held at fork).
static POOL: Mutex<(u32, Vec<Pooled>)> = Mutex::new((0, Vec::new()));

/// A zeroed memory mapping.
struct Region {
    ptr: NonNull<u8>,
    len: usize,
    /// Mapped for this read: none of its pages is resident yet. A pooled region's pages that
    /// earlier reads wrote are resident already, and populating them would only walk them.
    fresh: bool,
    /// How far slices were cut from it: where the next one starts, and what must be zeroed
    /// again before reuse. Only the thread carving from the region writes it.
    used: AtomicUsize,
}

// SAFETY: the region is plain memory; its slices are handed out once each, and after that
// only read through immutable Arrow buffers.
unsafe impl Send for Region {}
// SAFETY: as above: no interior mutability is reachable through a shared `Region`.
unsafe impl Sync for Region {}
impl std::panic::RefUnwindSafe for Region {}

impl Region {
    /// A zeroed region: a pooled one made zero again, or a fresh mapping.
    fn get(len: usize) -> Option<Region> {
        if len == REGION {
            if let Some(pooled) = pool_take() {
                zero_resident(pooled.ptr, pooled.dirty);
                return Some(Region {
                    ptr: pooled.ptr,
                    len,
                    fresh: false,
                    used: AtomicUsize::new(0),
                });
            }
        }
        Region::map(len)
    }

    fn map(len: usize) -> Option<Region> {
        // SAFETY: an anonymous private mapping with no address hint has no preconditions.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return None;
        }
        NonNull::new(ptr.cast::<u8>()).map(|ptr| Region {
            ptr,
            len,
            fresh: true,
            used: AtomicUsize::new(0),
        })
    }
}

/// Make the first `dirty` bytes at `ptr` zero again, writing only the pages that are
/// resident: a page never touched is still the kernel's zero page, and writing it would make
/// memory resident that no column asked for (reserved room, all-null columns).
fn zero_resident(ptr: NonNull<u8>, dirty: usize) {
    let pages = dirty.div_ceil(PAGE);
    let mut resident = vec![0u8; pages];
    // SAFETY: `ptr` is page-aligned (a mapping's start) and `pages` pages of the mapping
    // follow it; `resident` has one byte per page.
    let known = unsafe { libc::mincore(ptr.as_ptr().cast(), pages * PAGE, resident.as_mut_ptr()) };
    if known != 0 {
        // Residency unknown: zero it all.
        resident.fill(1);
    }
    let mut page = 0;
    while page < pages {
        if resident[page] & 1 == 0 {
            page += 1;
            continue;
        }
        let start = page;
        while page < pages && resident[page] & 1 == 1 {
            page += 1;
        }
        let end = (page * PAGE).min(dirty);
        // SAFETY: `start * PAGE..end` lies within the first `dirty` bytes of the mapping,
        // which the pool owns alone.
        unsafe { std::ptr::write_bytes(ptr.as_ptr().add(start * PAGE), 0, end - start * PAGE) };
    }
}

/// Never waits: when the pool is busy (or was locked at a fork), a read maps fresh memory.
fn pool_take() -> Option<Pooled> {
    let mut pool = POOL.try_lock().ok()?;
    if pool.0 != std::process::id() {
        return None;
    }
    pool.1.pop()
}

/// Keep a freed region for the next read if the pool has room; hands it back otherwise.
fn pool_put(pooled: Pooled) -> Option<Pooled> {
    let Ok(mut pool) = POOL.try_lock() else {
        return Some(pooled);
    };
    let pid = std::process::id();
    if pool.0 != pid {
        // A forked child's copy of the parent's list: those mappings are the child's own
        // copies and are left to it; start a list of this process's own.
        *pool = (pid, Vec::new());
    }
    if (pool.1.len() + 1) * REGION > POOL_BYTES {
        return Some(pooled);
    }
    pool.1.push(pooled);
    None
}

/// Unmap every pooled region.
#[cfg(test)]
fn release_pool() {
    let taken = match POOL.lock() {
        Ok(mut pool) => std::mem::take(&mut pool.1),
        Err(_) => return,
    };
    for pooled in taken {
        // SAFETY: a pooled mapping of `REGION` bytes, owned by the pool until now.
        unsafe { libc::munmap(pooled.ptr.as_ptr().cast(), REGION) };
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        if self.len == REGION {
            let dirty = (*self.used.get_mut()).min(self.len);
            if pool_put(Pooled {
                ptr: self.ptr,
                dirty,
            })
            .is_none()
            {
                return;
            }
        }
        // SAFETY: `ptr` and `len` describe a mapping made by `map` and unmapped only here.
        unsafe {
            libc::munmap(self.ptr.as_ptr().cast(), self.len);
        }
    }
}

thread_local! {
    /// The region this thread is carving slices from, and how much of it is taken.
    static CURRENT: RefCell<Option<Arc<Region>>> = const { RefCell::new(None) };
}

/// Drop this thread's hold on its current region, so that memory goes back to the system
/// as soon as the buffers cut from it are dropped. Called when a read ends.
pub fn release_thread_region() {
    CURRENT.with(|current| current.borrow_mut().take());
}

/// A zeroed slice of a region.
struct Slice {
    region: Arc<Region>,
    ptr: NonNull<u8>,
}

fn allocate(bytes: usize) -> Option<Slice> {
    if bytes == 0 {
        return None;
    }
    CURRENT.with(|current| {
        let mut current = current.borrow_mut();
        let fits = current.as_ref().is_some_and(|region| {
            region
                .used
                .load(Ordering::Relaxed)
                .next_multiple_of(ALIGN)
                .checked_add(bytes)
                .is_some_and(|end| end <= region.len)
        });
        if !fits {
            let len = bytes.next_multiple_of(PAGE).max(REGION);
            *current = Some(Arc::new(Region::get(len)?));
        }
        let region = current.as_ref()?;
        let start = region.used.load(Ordering::Relaxed).next_multiple_of(ALIGN);
        region.used.store(start + bytes, Ordering::Relaxed);
        // SAFETY: `start + bytes` is within the region (checked above), so the pointer stays
        // inside the mapping.
        let ptr = unsafe { NonNull::new_unchecked(region.ptr.as_ptr().add(start)) };
        Some(Slice {
            region: region.clone(),
            ptr,
        })
    })
}

/// Where a [`Values`] keeps its slots.
enum Storage<T> {
    Region(Slice),
    /// The heap, when a region could not be had or the capacity ran out: a vector whose whole
    /// capacity is zero-filled, like a region.
    Heap(Vec<T>),
}

/// A vector of plain values with a fixed capacity in a region, moving to the heap if it ever
/// needs more. Every slot past `len` is zero (the kernel zero-fills regions; the heap
/// storage is zero-filled on growth; `truncate` zeroes what it drops), so appending a null,
/// stored as zero, only advances `len`.
///
/// A region slice is made resident in stretches just ahead of the values written
/// (`limit`), in one system call each instead of a page fault per page; nulls are not
/// written, so the pages under a long run of them stay untouched as before.
pub struct Values<T: ArrowNativeType> {
    ptr: NonNull<T>,
    len: usize,
    capacity: usize,
    /// Slots below it are resident (or heap): writing there needs no look at the storage.
    limit: usize,
    /// Bytes the next stretch makes resident: doubled after a stretch was filled without a
    /// gap, back to the first size after a run of nulls skipped past one.
    window: usize,
    storage: Storage<T>,
}

// SAFETY: `ptr` points into `storage`, which the vector owns (a region slice no one else
// writes, or its own heap vector), so moving it to another thread moves the only access.
unsafe impl<T: ArrowNativeType> Send for Values<T> {}

impl<T: ArrowNativeType> Values<T> {
    pub fn with_capacity(capacity: usize) -> Self {
        match allocate(capacity * size_of::<T>()) {
            Some(slice) => Values {
                ptr: slice.ptr.cast::<T>(),
                len: 0,
                capacity,
                limit: if slice.region.fresh { 0 } else { capacity },
                window: POPULATE_FIRST / 2,
                storage: Storage::Region(slice),
            },
            None => Self::heap(&[], capacity),
        }
    }

    /// Heap storage holding `values[..len]`, zero-filled up to at least `capacity`. The zeros
    /// come from a zeroed allocation (fresh pages of a large one are never written), so room
    /// that is never used costs no memory, as in a region.
    fn heap(kept: &[T], capacity: usize) -> Self {
        let len = kept.len();
        let mut values = vec![T::default(); capacity.max(len)];
        values[..len].copy_from_slice(kept);
        let capacity = values.len();
        // `values.len()` slots are initialised; `Values` tracks its own length over them.
        Values {
            ptr: NonNull::new(values.as_mut_ptr()).unwrap_or(NonNull::dangling()),
            len,
            capacity,
            limit: capacity,
            window: 0,
            storage: Storage::Heap(values),
        }
    }

    #[inline(always)]
    pub fn push(&mut self, value: T) {
        if self.len >= self.limit {
            self.reach(1);
        }
        // SAFETY: `len < capacity` slots of `T` are valid at `ptr`, and this vector is the
        // only writer of its storage.
        unsafe { self.ptr.as_ptr().add(self.len).write(value) };
        self.len += 1;
    }

    /// Append a zero: the slot already holds one.
    #[inline(always)]
    pub fn push_default(&mut self) {
        if self.len == self.capacity {
            self.grow();
        }
        self.len += 1;
    }

    #[inline(always)]
    pub fn extend_from_slice(&mut self, values: &[T]) {
        if self.len + values.len() > self.limit {
            self.reach(values.len());
        }
        // SAFETY: the slots `len..len + values.len()` are inside the storage (ensured above),
        // and `values` cannot overlap them: they were never handed out.
        unsafe {
            std::ptr::copy_nonoverlapping(
                values.as_ptr(),
                self.ptr.as_ptr().add(self.len),
                values.len(),
            )
        };
        self.len += values.len();
    }

    #[cold]
    #[inline(never)]
    fn grow(&mut self) {
        self.grow_to(self.len + 1);
    }

    /// Room for `more` values at `len`: beyond the capacity the values move to the heap (one
    /// move, straight to the size needed: a giant value is copied once, not through every
    /// doubling on its way); within it, the next stretch of the region slice is made
    /// resident.
    #[cold]
    #[inline(never)]
    fn reach(&mut self, more: usize) {
        let needed = self.len + more;
        if needed > self.capacity {
            self.grow_to(needed);
            return;
        }
        // A stretch filled to its end is followed by a larger one; a gap of nulls past the
        // last one starts small again, so sparse columns stay mostly unwritten.
        self.window = if self.len <= self.limit {
            (self.window * 2).clamp(POPULATE_FIRST, POPULATE_MOST)
        } else {
            POPULATE_FIRST
        };
        let end = (needed + self.window / size_of::<T>()).min(self.capacity);
        // SAFETY: `len..end` are slots of this vector's own storage (`end <= capacity`).
        let from = unsafe { self.ptr.as_ptr().add(self.len) };
        populate(from.cast::<u8>(), (end - self.len) * size_of::<T>());
        self.limit = end;
    }

    #[cold]
    #[inline(never)]
    fn grow_to(&mut self, needed: usize) {
        let grown = Self::heap(self.as_slice(), needed.max(self.capacity * 2).max(64));
        *self = grown;
    }

    pub fn as_slice(&self) -> &[T] {
        // SAFETY: the first `len` slots are initialised (written, or zero, which is a valid
        // value of the plain number types used here).
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn truncate(&mut self, len: usize) {
        if len < self.len {
            // SAFETY: the dropped slots are inside the storage; zeroing keeps the invariant.
            unsafe { std::ptr::write_bytes(self.ptr.as_ptr().add(len), 0, self.len - len) };
            self.len = len;
        }
    }

    /// The values as an Arrow buffer, without copying.
    pub fn into_buffer(self) -> Buffer {
        match self.storage {
            // SAFETY: the slice holds `len` initialised values inside the region, which the
            // buffer keeps alive; nothing writes to it any more.
            Storage::Region(slice) => unsafe {
                Buffer::from_custom_allocation(slice.ptr, self.len * size_of::<T>(), slice.region)
            },
            Storage::Heap(mut values) => {
                values.truncate(self.len);
                Buffer::from_vec(values)
            }
        }
    }
}

impl Values<u8> {
    /// `extend_from_slice` for the short texts most string fields hold (Zeek uids, addresses):
    /// two overlapping fixed-size copies instead of a library call per field.
    #[inline(always)]
    pub fn extend_from_bytes(&mut self, bytes: &[u8]) {
        let n = bytes.len();
        if !(8..=32).contains(&n) || self.len + n > self.limit {
            self.extend_from_slice(bytes);
            return;
        }
        // SAFETY: the slots `len..len + n` are inside the storage (checked above) and were
        // never handed out, so they cannot overlap `bytes`; each copy reads `bytes[..k]` and
        // `bytes[n - k..]` and writes the same ranges of those slots, with `k <= n`.
        unsafe {
            let to = self.ptr.as_ptr().add(self.len);
            let from = bytes.as_ptr();
            if n >= 16 {
                let head = from.cast::<[u8; 16]>().read_unaligned();
                let tail = from.add(n - 16).cast::<[u8; 16]>().read_unaligned();
                to.cast::<[u8; 16]>().write_unaligned(head);
                to.add(n - 16).cast::<[u8; 16]>().write_unaligned(tail);
            } else {
                let head = from.cast::<[u8; 8]>().read_unaligned();
                let tail = from.add(n - 8).cast::<[u8; 8]>().read_unaligned();
                to.cast::<[u8; 8]>().write_unaligned(head);
                to.add(n - 8).cast::<[u8; 8]>().write_unaligned(tail);
            }
        }
        self.len += n;
    }
}

/// Whether two texts are equal, without a library call when they are as short as most
/// string fields: two overlapping fixed-size compares (up to three bytes, each byte).
#[inline(always)]
pub fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let load8 =
        |s: &[u8], at: usize| u64::from_le_bytes(s[at..at + 8].try_into().unwrap_or([0; 8]));
    let load16 =
        |s: &[u8], at: usize| u128::from_le_bytes(s[at..at + 16].try_into().unwrap_or([0; 16]));
    let load4 =
        |s: &[u8], at: usize| u32::from_le_bytes(s[at..at + 4].try_into().unwrap_or([0; 4]));
    match n {
        0 => true,
        1..=3 => a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1],
        4..=7 => load4(a, 0) == load4(b, 0) && load4(a, n - 4) == load4(b, n - 4),
        8..=15 => load8(a, 0) == load8(b, 0) && load8(a, n - 8) == load8(b, n - 8),
        16..=32 => load16(a, 0) == load16(b, 0) && load16(a, n - 16) == load16(b, n - 16),
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_push_read_and_truncate() {
        let mut values = Values::<u64>::with_capacity(4);
        values.push(7);
        values.push_default();
        values.push(9);
        assert_eq!(values.as_slice(), &[7, 0, 9]);
        values.truncate(1);
        values.push_default();
        assert_eq!(
            values.as_slice(),
            &[7, 0],
            "a truncated slot is zeroed again"
        );
        let buffer = values.into_buffer();
        assert_eq!(buffer.typed_data::<u64>(), &[7, 0]);
    }

    #[test]
    fn values_spill_to_the_heap_past_their_capacity() {
        let mut values = Values::<u32>::with_capacity(2);
        for i in 0..100 {
            values.push(i);
        }
        assert_eq!(values.len(), 100);
        assert_eq!(values.as_slice()[99], 99);
        assert_eq!(values.into_buffer().len(), 400);
    }

    #[test]
    fn short_copies_and_compares_match_the_slice_ones() {
        let text: Vec<u8> = (0..40u8).map(|b| b.wrapping_mul(37)).collect();
        for n in 0..=40 {
            let mut values = Values::<u8>::with_capacity(64);
            values.extend_from_bytes(b"x");
            values.extend_from_bytes(&text[..n]);
            values.extend_from_bytes(b"y");
            let mut expected = b"x".to_vec();
            expected.extend_from_slice(&text[..n]);
            expected.push(b'y');
            assert_eq!(values.as_slice(), &expected[..], "copy of {n} bytes");
            assert!(same_bytes(&text[..n], &expected[1..=n]), "{n} bytes equal");
            for at in 0..n {
                let mut other = text[..n].to_vec();
                other[at] ^= 1;
                assert!(
                    !same_bytes(&text[..n], &other),
                    "{n} bytes, byte {at} differs"
                );
            }
            assert!(
                n == 0 || !same_bytes(&text[..n], &text[..n - 1]),
                "{n}: lengths differ"
            );
        }
        // Past its capacity the copy moves to the heap, as extend_from_slice does.
        let mut small = Values::<u8>::with_capacity(4);
        small.extend_from_bytes(&text[..20]);
        assert_eq!(small.as_slice(), &text[..20]);
    }

    #[test]
    fn zero_capacity_is_heap_only() {
        let mut values = Values::<u8>::with_capacity(0);
        assert!(values.is_empty());
        values.push_default();
        assert_eq!(values.as_slice(), &[0]);
    }

    #[test]
    fn a_reused_region_is_zero_again() {
        release_thread_region();
        for round in 0..3u64 {
            let mut values = Values::<u64>::with_capacity(REGION / 16);
            for i in 0..(REGION / 16) as u64 {
                values.push(i + round + 1);
            }
            drop(values.into_buffer());
            release_thread_region();
            let fresh = Values::<u64>::with_capacity(REGION / 16);
            // SAFETY: `fresh` owns `REGION / 16` slots, all of which the kernel or the pool
            // zeroed; reading them checks the pool's zeroing.
            let slots = unsafe { std::slice::from_raw_parts(fresh.ptr.as_ptr(), REGION / 16) };
            assert!(slots.iter().all(|&v| v == 0), "round {round}");
            drop(fresh);
            release_thread_region();
        }
        release_pool();
    }

    /// Which of the `pages` pages at `ptr` (page-aligned) are resident.
    fn resident(ptr: *const u8, pages: usize) -> Vec<bool> {
        let mut flags = vec![0u8; pages];
        // SAFETY: the caller's mapping covers `pages` pages from `ptr`.
        let known =
            unsafe { libc::mincore(ptr as *mut libc::c_void, pages * PAGE, flags.as_mut_ptr()) };
        assert_eq!(known, 0, "mincore");
        flags.iter().map(|f| f & 1 == 1).collect()
    }

    #[test]
    fn values_make_resident_the_stretch_ahead_of_their_writes_but_not_runs_of_nulls() {
        // Larger than a pooled region, so it is a fresh mapping of its own.
        let capacity = REGION / size_of::<u64>() + 1024;
        let mut values = Values::<u64>::with_capacity(capacity);
        let Storage::Region(slice) = &values.storage else {
            panic!("a region slice was expected");
        };
        assert!(slice.region.fresh);
        let base = values.ptr.as_ptr().cast::<u8>();
        let per_page = PAGE / size_of::<u64>();
        for i in 0..10 {
            values.push(i);
        }
        // A run of nulls as long as 200 pages, then one value.
        for _ in 0..200 * per_page {
            values.push_default();
        }
        values.push(77);
        let pages = capacity * size_of::<u64>() / PAGE;
        let resident = resident(base, pages);
        assert!(resident[0], "the first values' page");
        assert!(resident[200], "the page of the value after the nulls");
        let untouched = resident[8..200].iter().filter(|&&r| !r).count();
        assert_eq!(
            untouched, 192,
            "pages under the nulls, past the first stretch"
        );
        if POPULATE_WORKS.load(Ordering::Relaxed) {
            assert!(
                resident[201],
                "the stretch after the last value is populated"
            );
        }
        assert!(
            !resident[pages - 1],
            "the end of the slice was never reached"
        );
        let written = values.as_slice();
        assert_eq!(&written[..10], &(0..10).collect::<Vec<u64>>()[..]);
        assert!(written[10..10 + 200 * per_page].iter().all(|&v| v == 0));
        assert_eq!(written[10 + 200 * per_page], 77);
        // Dense writes over many stretches, across the whole slice: every value read back.
        let mut dense = Values::<u64>::with_capacity(capacity);
        for i in 0..capacity as u64 {
            dense.push(i * 3);
        }
        assert!(dense
            .as_slice()
            .iter()
            .enumerate()
            .all(|(i, &v)| v == i as u64 * 3));
        let mut bytes = Values::<u8>::with_capacity(REGION + 4096);
        for i in 0..(REGION / 20) {
            bytes.extend_from_bytes(&[(i % 251) as u8; 20]);
        }
        assert!(bytes
            .as_slice()
            .chunks(20)
            .enumerate()
            .all(|(i, c)| c == [(i % 251) as u8; 20]));
    }

    #[test]
    fn regions_are_shared_and_released() {
        fn region<T: ArrowNativeType>(values: &Values<T>) -> Option<*const Region> {
            match &values.storage {
                Storage::Region(slice) => Some(Arc::as_ptr(&slice.region)),
                Storage::Heap(_) => None,
            }
        }
        release_thread_region();
        let a = Values::<u64>::with_capacity(1000);
        let b = Values::<u64>::with_capacity(1000);
        assert!(region(&a).is_some());
        assert_eq!(region(&a), region(&b));
        let big = Values::<u8>::with_capacity(REGION + 1);
        assert_ne!(region(&a), region(&big));
        release_thread_region();
    }
}
