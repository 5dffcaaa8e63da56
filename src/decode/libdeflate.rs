//! The one place ctscan calls C: libdeflate's raw-deflate decompressor and its CRC-32, behind a safe API.
//!
//! libdeflate inflates a whole buffer in one call, faster than a streaming inflater (the decode benchmark times
//! both) on objects that fit in memory, which every object decoded whole does. It cannot stream, so the caller
//! sizes the output up front and retries with more room; the gzip framing (headers, trailers, members) is read
//! in Rust by the caller, [`super::gunzip`].
//!
//! Each thread owns one decompressor (its Huffman tables), made on first use and freed when the thread ends.

use std::cell::RefCell;
use std::ptr::NonNull;

use libdeflate_sys as sys;

/// Why a deflate stream did not inflate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The stream is invalid, or the input ends before its final block does.
    BadData,
    /// The stream inflates to more bytes than the room given.
    NoRoom,
}

/// A libdeflate decompressor, freed on drop. The raw pointer makes it neither `Send` nor `Sync`: it lives in
/// one thread's [`DECOMPRESSOR`] and is only ever used through that thread's `RefCell`.
struct Decompressor(NonNull<sys::libdeflate_decompressor>);

impl Decompressor {
    fn new() -> Self {
        // SAFETY: no preconditions; the result is null only when the allocation failed, which is checked.
        let raw = unsafe { sys::libdeflate_alloc_decompressor() };
        Decompressor(NonNull::new(raw).expect("out of memory allocating a libdeflate decompressor"))
    }
}

impl Drop for Decompressor {
    fn drop(&mut self) {
        // SAFETY: the pointer came from libdeflate_alloc_decompressor, is freed only here, once, and no call
        // can be using it: calls borrow the decompressor, which a drop cannot outlive.
        unsafe { sys::libdeflate_free_decompressor(self.0.as_ptr()) }
    }
}

thread_local! {
    static DECOMPRESSOR: RefCell<Decompressor> = RefCell::new(Decompressor::new());
}

/// Inflates the raw deflate stream that starts `input` into the spare capacity of `out`, writing at most
/// `room` bytes (fewer when less capacity is spare). On success `out` grows by the bytes written and the
/// result is how many input bytes the stream took, its last partial byte included; bytes after the stream
/// are left alone. On failure `out` keeps its length.
pub fn inflate_into(input: &[u8], out: &mut Vec<u8>, room: usize) -> Result<usize, Failure> {
    let room = room.min(out.capacity() - out.len());
    let dst = out.spare_capacity_mut().as_mut_ptr();
    let (mut taken, mut written) = (0usize, 0usize);
    let result = DECOMPRESSOR.with_borrow_mut(|d| {
        // SAFETY: `input` is valid for reads of `input.len()` bytes and `dst` for writes of `room` bytes (at
        // most the spare capacity of `out`, which nothing else touches during the call); libdeflate reads only
        // within the input and writes only within those `room` bytes. The decompressor is this thread's own,
        // borrowed mutably for the call, so no other call uses it meanwhile. Both out-parameters are valid.
        unsafe {
            sys::libdeflate_deflate_decompress_ex(
                d.0.as_ptr(),
                input.as_ptr().cast(),
                input.len(),
                dst.cast(),
                room,
                &mut taken,
                &mut written,
            )
        }
    });
    match result {
        sys::libdeflate_result_LIBDEFLATE_SUCCESS => {
            assert!(
                written <= room && taken <= input.len(),
                "libdeflate reported more than it was given"
            );
            // SAFETY: libdeflate initialised the first `written` bytes of the spare capacity, and `written` is
            // at most `room`, itself at most the spare capacity.
            unsafe { out.set_len(out.len() + written) };
            Ok(taken)
        }
        sys::libdeflate_result_LIBDEFLATE_INSUFFICIENT_SPACE => Err(Failure::NoRoom),
        // LIBDEFLATE_BAD_DATA. (LIBDEFLATE_SHORT_OUTPUT comes only when no output count is asked for, and one
        // always is here.)
        _ => Err(Failure::BadData),
    }
}

/// The CRC-32 that gzip stores for a member's data and (its low half) for a header.
pub fn crc32(data: &[u8]) -> u32 {
    // SAFETY: `data` is valid for reads of `data.len()` bytes, and libdeflate_crc32 only reads them.
    unsafe { sys::libdeflate_crc32(0, data.as_ptr().cast(), data.len()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inflates_within_the_room_and_reports_what_it_took() {
        // A stored block holding "hello", then two bytes that are not part of the stream.
        let stream = [
            0x01, 0x05, 0x00, 0xfa, 0xff, b'h', b'e', b'l', b'l', b'o', 0xaa, 0xbb,
        ];
        let mut out = b"say ".to_vec();
        out.reserve(16);
        assert_eq!(inflate_into(&stream, &mut out, 5), Ok(10));
        assert_eq!(out, b"say hello");
        assert_eq!(inflate_into(&stream, &mut out, 4), Err(Failure::NoRoom));
        assert_eq!(inflate_into(&stream[..9], &mut out, 16), Err(Failure::BadData));
        assert_eq!(out, b"say hello");
        let mut none = Vec::new();
        assert_eq!(inflate_into(&stream, &mut none, 100), Err(Failure::NoRoom));
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
    }
}
