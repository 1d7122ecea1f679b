//! Disk-image format detection from the first bytes of an upload, the way Glance's format
//! inspector decides whether data matches its `disk_format`.
//!
//! Only headers are read: [`detect`] looks for each format's signature in a prefix of at most
//! [`PREFIX_LEN`] bytes, and [`virtual_size`] reads the guest-visible size where the header states
//! it. Both take any input, however short or malformed, without panicking.

/// How many leading bytes [`detect`] needs to see to decide (enough for the ISO 9660 descriptor at
/// 0x8001 and its fields).
pub const PREFIX_LEN: usize = 0x8800;

/// Where the ISO 9660 primary volume descriptor starts (sector 16 of 2048 bytes).
const ISO_DESCRIPTOR: usize = 0x8000;

/// A detected format. `Raw` means "no known header found".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Raw,
    Qcow2,
    Vhd,
    Vhdx,
    Vmdk,
    Vdi,
    Iso,
}

impl Format {
    /// Glance's `disk_format` name: "raw", "qcow2", "vhd", "vhdx", "vmdk", "vdi", "iso".
    pub fn name(self) -> &'static str {
        match self {
            Format::Raw => "raw",
            Format::Qcow2 => "qcow2",
            Format::Vhd => "vhd",
            Format::Vhdx => "vhdx",
            Format::Vmdk => "vmdk",
            Format::Vdi => "vdi",
            Format::Iso => "iso",
        }
    }
}

/// Whether Glance inspects this `disk_format` (raw, qcow2, vhd, vhdx, vmdk, vdi, iso). ami, ari,
/// aki, ploop are not inspectable → false; unknown strings → false.
pub fn is_inspectable(disk_format: &str) -> bool {
    matches!(disk_format, "raw" | "qcow2" | "vhd" | "vhdx" | "vmdk" | "vdi" | "iso")
}

/// Detects the format from the leading bytes (`prefix` may be shorter than [`PREFIX_LEN`] when the
/// whole upload is short).
pub fn detect(prefix: &[u8]) -> Format {
    let at = |offset: usize, signature: &[u8]| {
        prefix.get(offset..offset + signature.len()) == Some(signature)
    };
    if at(0, b"QFI\xfb") {
        Format::Qcow2
    } else if at(0, b"vhdxfile") {
        Format::Vhdx
    } else if at(0, b"conectix") {
        Format::Vhd
    } else if at(0, b"KDMV") || at(0, b"# Disk DescriptorFile") {
        Format::Vmdk
    } else if le_u32(prefix, 0x40) == Some(0xbeda_107f) {
        Format::Vdi
    } else if at(ISO_DESCRIPTOR + 1, b"CD001") {
        Format::Iso
    } else {
        Format::Raw
    }
}

/// The virtual (guest-visible) size in bytes, when the header states it: qcow2 (big-endian u64 at
/// offset 24), vmdk sparse extent "KDMV" (little-endian u64 capacity in 512-byte sectors at offset
/// 12), vdi (little-endian u64 disk size at offset 0x170), vhd when the footer copy is at offset 0
/// ("conectix" at 0, big-endian u64 current size at offset 48), iso (volume space size:
/// little-endian u32 at 0x8050 times logical block size little-endian u16 at 0x8080). For Raw
/// return `Some(total_len)`. For vhdx return None. Return None whenever the prefix is too short to
/// read the field.
pub fn virtual_size(format: Format, prefix: &[u8], total_len: u64) -> Option<u64> {
    match format {
        Format::Raw => Some(total_len),
        Format::Qcow2 => be_u64(prefix, 24),
        Format::Vhd if prefix.get(0..8) == Some(b"conectix") => be_u64(prefix, 48),
        Format::Vmdk if prefix.get(0..4) == Some(b"KDMV") => le_u64(prefix, 12)?.checked_mul(512),
        Format::Vdi => le_u64(prefix, 0x170),
        Format::Iso => {
            let blocks = le_u32(prefix, ISO_DESCRIPTOR + 0x50)?;
            let block_size = le_u16(prefix, ISO_DESCRIPTOR + 0x80)?;
            Some(u64::from(blocks) * u64::from(block_size))
        }
        Format::Vhd | Format::Vmdk | Format::Vhdx => None,
    }
}

/// The `N` bytes at `offset`, or None when the prefix ends before them.
fn bytes<const N: usize>(prefix: &[u8], offset: usize) -> Option<[u8; N]> {
    prefix.get(offset..offset.checked_add(N)?)?.try_into().ok()
}

fn be_u64(prefix: &[u8], offset: usize) -> Option<u64> {
    bytes(prefix, offset).map(u64::from_be_bytes)
}

fn le_u64(prefix: &[u8], offset: usize) -> Option<u64> {
    bytes(prefix, offset).map(u64::from_le_bytes)
}

fn le_u32(prefix: &[u8], offset: usize) -> Option<u32> {
    bytes(prefix, offset).map(u32::from_le_bytes)
}

fn le_u16(prefix: &[u8], offset: usize) -> Option<u16> {
    bytes(prefix, offset).map(u16::from_le_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GIB: u64 = 1 << 30;

    /// `len` zero bytes with `data` written at each `(offset, data)`.
    fn header(len: usize, fields: &[(usize, &[u8])]) -> Vec<u8> {
        let mut buf = vec![0; len];
        for &(offset, data) in fields {
            buf[offset..offset + data.len()].copy_from_slice(data);
        }
        buf
    }

    /// A minimal header per format, with the virtual size it states.
    fn samples() -> Vec<(Format, Vec<u8>, Option<u64>)> {
        vec![
            (
                Format::Qcow2,
                header(512, &[(0, b"QFI\xfb"), (24, &(10 * GIB).to_be_bytes())]),
                Some(10 * GIB),
            ),
            (Format::Vhdx, header(512, &[(0, b"vhdxfile")]), None),
            (
                Format::Vhd,
                header(512, &[(0, b"conectix"), (48, &(2 * GIB).to_be_bytes())]),
                Some(2 * GIB),
            ),
            (
                Format::Vmdk,
                header(512, &[(0, b"KDMV"), (12, &2048u64.to_le_bytes())]),
                Some(2048 * 512),
            ),
            (Format::Vmdk, b"# Disk DescriptorFile\nversion=1\n".to_vec(), None),
            (
                Format::Vdi,
                header(512, &[(0x40, &0xbeda_107fu32.to_le_bytes()), (0x170, &GIB.to_le_bytes())]),
                Some(GIB),
            ),
            (
                Format::Iso,
                header(
                    PREFIX_LEN,
                    &[
                        (0x8000, b"\x01CD001\x01"),
                        (0x8050, &1000u32.to_le_bytes()),
                        (0x8054, &1000u32.to_be_bytes()),
                        (0x8080, &2048u16.to_le_bytes()),
                        (0x8082, &2048u16.to_be_bytes()),
                    ],
                ),
                Some(1000 * 2048),
            ),
        ]
    }

    #[test]
    fn detects_each_format_and_reads_its_virtual_size() {
        for (format, bytes, size) in samples() {
            assert_eq!(detect(&bytes), format, "{}", format.name());
            assert_eq!(virtual_size(format, &bytes, 1 << 40), size, "{}", format.name());
        }
    }

    #[test]
    fn raw_size_is_the_total_length() {
        let bytes = vec![0u8; 4096];
        assert_eq!(detect(&bytes), Format::Raw);
        assert_eq!(virtual_size(Format::Raw, &bytes, 123_456), Some(123_456));
        assert_eq!(Format::Raw.name(), "raw");
    }

    #[test]
    fn empty_and_short_inputs_are_raw_and_never_panic() {
        assert_eq!(detect(&[]), Format::Raw);
        assert_eq!(detect(b"QFI"), Format::Raw);
        assert_eq!(detect(b"conecti"), Format::Raw);
        assert_eq!(detect(b"# Disk Descriptor"), Format::Raw);
        for format in [Format::Qcow2, Format::Vhd, Format::Vhdx, Format::Vmdk, Format::Vdi] {
            assert_eq!(virtual_size(format, &[], 0), None, "{}", format.name());
        }
        assert_eq!(virtual_size(Format::Iso, &[], 0), None);
        // Every truncation of every sample: no panic, and a size only when its field fits.
        for (format, bytes, _) in samples() {
            for len in 0..bytes.len() {
                let cut = &bytes[..len];
                let detected = detect(cut);
                assert!(detected == format || detected == Format::Raw, "{}", format.name());
                let _ = virtual_size(format, cut, len as u64);
            }
        }
        // A signature whose size field is cut off reads as None, not garbage.
        let qcow2 = header(30, &[(0, b"QFI\xfb")]);
        assert_eq!(detect(&qcow2), Format::Qcow2);
        assert_eq!(virtual_size(Format::Qcow2, &qcow2, 30), None);
        let iso = header(0x8060, &[(0x8001, b"CD001")]);
        assert_eq!(detect(&iso), Format::Iso);
        assert_eq!(virtual_size(Format::Iso, &iso, 0x8060), None);
    }

    #[test]
    fn vmdk_capacity_overflow_is_none() {
        let bytes = header(512, &[(0, b"KDMV"), (12, &u64::MAX.to_le_bytes())]);
        assert_eq!(virtual_size(Format::Vmdk, &bytes, 512), None);
    }

    #[test]
    fn random_bytes_are_raw() {
        for seed in 1..=8u64 {
            let mut state = seed;
            let bytes: Vec<u8> = (0..PREFIX_LEN)
                .map(|_| {
                    state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                    (state >> 56) as u8
                })
                .collect();
            assert_eq!(detect(&bytes), Format::Raw, "seed {seed}");
            for len in [0, 1, 7, 64, 0x44, 0x178, 0x8006, 0x8082] {
                assert_eq!(detect(&bytes[..len]), Format::Raw, "seed {seed}, len {len}");
            }
        }
    }

    #[test]
    fn inspectable_disk_formats() {
        for name in ["raw", "qcow2", "vhd", "vhdx", "vmdk", "vdi", "iso"] {
            assert!(is_inspectable(name), "{name}");
        }
        for name in ["ami", "ari", "aki", "ploop", "", "QCOW2", "bogus"] {
            assert!(!is_inspectable(name), "{name}");
        }
    }

    #[test]
    fn names_match_glance_disk_formats() {
        for (format, _, _) in samples() {
            assert!(is_inspectable(format.name()));
        }
    }
}
