//! CRC-32 (IEEE 802.3, reflected, as zlib and nginx's `ngx_crc32_*`), with nginx's split into
//! init / update / final so that the consistent hash can extend a partial sum.

/// The lookup table of the reflected polynomial 0xEDB88320.
const TABLE: [u32; 256] = {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
};

/// `ngx_crc32_init`.
pub const INIT: u32 = 0xFFFF_FFFF;

/// `ngx_crc32_update`.
pub fn update(mut crc: u32, data: &[u8]) -> u32 {
    for &b in data {
        crc = TABLE[((crc ^ u32::from(b)) & 0xFF) as usize] ^ (crc >> 8);
    }
    crc
}

/// `ngx_crc32_final`.
pub fn finish(crc: u32) -> u32 {
    crc ^ 0xFFFF_FFFF
}

/// `ngx_crc32_long`: the CRC-32 of `data`.
pub fn crc32(data: &[u8]) -> u32 {
    finish(update(INIT, data))
}

#[cfg(test)]
mod tests {
    #[test]
    fn known_values() {
        assert_eq!(super::crc32(b""), 0);
        assert_eq!(super::crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(
            super::crc32(b"The quick brown fox jumps over the lazy dog"),
            0x414F_A339
        );
    }
}
