//! Memory for column values: large zeroed regions mapped straight from the kernel, from which
//! each chunk's columns take exact slices.
//!
//! Why: a frame of a few hundred MB is all fresh memory, and making it resident is a large
//! share of a read (a third of the CPU time of a 2M-row conn.log). The regions are zero-filled
//! by the kernel, so null values need no write and the pages of an all-null column (common
//! in Zeek logs: fields a sensor never sets) are never touched at all. Transparent huge pages
//! were measured too: fewer faults, but on virtual machines the first touch of never-used
//! guest memory made reads slower and far less predictable, so they are not requested.
//! Each Arrow buffer keeps its region alive; a region is unmapped when its last buffer goes.

use arrow_buffer::{ArrowNativeType, Buffer};
use std::cell::RefCell;
use std::ptr::NonNull;
use std::sync::Arc;

/// Bytes mapped at a time. Only touched pages use memory, so the unused end of the last
/// region costs address space, not RAM.
const REGION: usize = 64 << 20;
const PAGE: usize = 4096;
/// Alignment of every slice: Arrow recommends 64 bytes.
const ALIGN: usize = 64;

/// A zeroed memory mapping.
struct Region {
    ptr: NonNull<u8>,
    len: usize,
}

// SAFETY: the region is plain memory; its slices are handed out once each, and after that
// only read through immutable Arrow buffers.
unsafe impl Send for Region {}
// SAFETY: as above: no interior mutability is reachable through a shared `Region`.
unsafe impl Sync for Region {}
impl std::panic::RefUnwindSafe for Region {}

impl Region {
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
        NonNull::new(ptr.cast::<u8>()).map(|ptr| Region { ptr, len })
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        // SAFETY: `ptr` and `len` describe a mapping made by `map` and unmapped only here.
        unsafe {
            libc::munmap(self.ptr.as_ptr().cast(), self.len);
        }
    }
}

thread_local! {
    /// The region this thread is carving slices from, and how much of it is taken.
    static CURRENT: RefCell<Option<(Arc<Region>, usize)>> = const { RefCell::new(None) };
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
        let fits = current.as_ref().is_some_and(|(region, used)| {
            used.next_multiple_of(ALIGN)
                .checked_add(bytes)
                .is_some_and(|end| end <= region.len)
        });
        if !fits {
            let len = bytes.next_multiple_of(PAGE).max(REGION);
            *current = Some((Arc::new(Region::map(len)?), 0));
        }
        let (region, used) = current.as_mut()?;
        let start = used.next_multiple_of(ALIGN);
        *used = start + bytes;
        // SAFETY: `start + bytes` is within the region (checked above), so the pointer stays
        // inside the mapping.
        let ptr = unsafe { NonNull::new_unchecked(region.ptr.as_ptr().add(start)) };
        Some(Slice {
            region: region.clone(),
            ptr,
        })
    })
}

/// A vector of plain values with a fixed capacity in a region, falling back to the heap if
/// it ever needs more (or if mapping fails). Slots past `len` are zero until written, so a
/// null value (stored as zero) only advances `len`.
pub struct Values<T: ArrowNativeType> {
    slice: Option<Slice>,
    capacity: usize,
    heap: Vec<T>,
    len: usize,
    /// Slots below this were written at some point and may hold stale values.
    dirty: usize,
}

impl<T: ArrowNativeType> Values<T> {
    pub fn with_capacity(capacity: usize) -> Self {
        let slice = allocate(capacity * size_of::<T>());
        let capacity = if slice.is_some() { capacity } else { 0 };
        Values {
            slice,
            capacity,
            heap: Vec::new(),
            len: 0,
            dirty: 0,
        }
    }

    #[inline(always)]
    fn in_region(&self) -> Option<NonNull<T>> {
        match &self.slice {
            Some(slice) if self.heap.is_empty() => Some(slice.ptr.cast::<T>()),
            _ => None,
        }
    }

    #[inline(always)]
    pub fn push(&mut self, value: T) {
        match self.in_region() {
            Some(ptr) if self.len < self.capacity => {
                // SAFETY: `len < capacity` and the slice holds `capacity` values of `T`,
                // aligned to 64 bytes; this vector is the slice's only writer.
                unsafe { ptr.as_ptr().add(self.len).write(value) };
                self.len += 1;
                self.dirty = self.dirty.max(self.len);
            }
            _ => self.push_heap(value),
        }
    }

    /// Append a zero: free when the slot has never been written.
    #[inline(always)]
    pub fn push_default(&mut self) {
        if self.len < self.dirty || self.in_region().is_none() || self.len >= self.capacity {
            self.push(T::default());
        } else {
            self.len += 1;
        }
    }

    #[inline(always)]
    pub fn extend_from_slice(&mut self, values: &[T]) {
        match self.in_region() {
            Some(ptr) if self.len + values.len() <= self.capacity => {
                // SAFETY: the slots `len..len + values.len()` are inside the slice (checked),
                // and `values` cannot overlap them: they were never handed out.
                unsafe {
                    std::ptr::copy_nonoverlapping(
                        values.as_ptr(),
                        ptr.as_ptr().add(self.len),
                        values.len(),
                    )
                };
                self.len += values.len();
                self.dirty = self.dirty.max(self.len);
            }
            _ => {
                for &value in values {
                    self.push_heap(value);
                }
            }
        }
    }

    #[cold]
    fn push_heap(&mut self, value: T) {
        if self.heap.is_empty() {
            let mut heap = Vec::with_capacity((self.len + 1).max(self.capacity * 2).max(16));
            heap.extend_from_slice(self.as_slice());
            self.heap = heap;
            self.slice = None;
            self.capacity = 0;
        }
        self.heap.push(value);
        self.len += 1;
    }

    pub fn as_slice(&self) -> &[T] {
        match self.in_region() {
            // SAFETY: the first `len` slots are initialised (written or zero-filled by the
            // kernel; all-zero bytes are a valid `T` for the plain types used here).
            Some(ptr) => unsafe { std::slice::from_raw_parts(ptr.as_ptr(), self.len) },
            None => &self.heap,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn truncate(&mut self, len: usize) {
        if len < self.len {
            self.len = len;
            self.heap.truncate(len);
        }
    }

    pub fn last(&self) -> Option<T> {
        self.as_slice().last().copied()
    }

    /// The values as an Arrow buffer, without copying.
    pub fn into_buffer(self) -> Buffer {
        match self.slice {
            Some(slice) if self.heap.is_empty() => {
                // SAFETY: the slice holds `len` initialised values inside the region, which
                // the buffer keeps alive; nothing writes to it any more.
                unsafe {
                    Buffer::from_custom_allocation(
                        slice.ptr,
                        self.len * size_of::<T>(),
                        slice.region,
                    )
                }
            }
            _ => Buffer::from_vec(self.heap),
        }
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
    fn zero_capacity_is_heap_only() {
        let mut values = Values::<u8>::with_capacity(0);
        assert!(values.is_empty());
        values.push_default();
        assert_eq!(values.as_slice(), &[0]);
    }

    #[test]
    fn regions_are_shared_and_released() {
        release_thread_region();
        let a = Values::<u64>::with_capacity(1000);
        let b = Values::<u64>::with_capacity(1000);
        let region = |v: &Values<u64>| v.slice.as_ref().map(|s| Arc::as_ptr(&s.region));
        assert_eq!(region(&a), region(&b));
        let big = Values::<u8>::with_capacity(REGION + 1);
        assert_ne!(
            region(&a),
            big.slice.as_ref().map(|s| Arc::as_ptr(&s.region))
        );
        release_thread_region();
    }
}
