//! Audio files as grill needs to know them, pure: what kind a file is from
//! its first bytes (not its name), a WAV's length and samples from its
//! header, whether a WAV is silent, and a WAV written from samples (for
//! `grill doctor`'s probe and the tests).

/// The formats transcription servers take (OpenAI: flac, mp3, mp4, mpeg,
/// mpga, m4a, ogg, wav, webm), told apart by their magic bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Wav,
    Mp3,
    /// MP4 audio (`ftyp` box): M4A, MP4.
    M4a,
    Ogg,
    Flac,
    Webm,
}

impl Kind {
    /// The extension the upload is named with: servers tell formats by it.
    pub fn extension(self) -> &'static str {
        match self {
            Kind::Wav => "wav",
            Kind::Mp3 => "mp3",
            Kind::M4a => "m4a",
            Kind::Ogg => "ogg",
            Kind::Flac => "flac",
            Kind::Webm => "webm",
        }
    }
}

/// What kind of audio `head` (a file's first bytes, 12 or more) starts,
/// if any. MP3 is an ID3 tag or an MPEG audio frame header (sync bits,
/// a layer that is not `00`, which is ADTS AAC, and a valid bitrate).
pub fn sniff(head: &[u8]) -> Option<Kind> {
    let at = |i: usize, tag: &[u8]| head.get(i..i + tag.len()) == Some(tag);
    if (at(0, b"RIFF") || at(0, b"RF64")) && at(8, b"WAVE") {
        Some(Kind::Wav)
    } else if at(0, b"ID3") {
        Some(Kind::Mp3)
    } else if at(4, b"ftyp") {
        Some(Kind::M4a)
    } else if at(0, b"OggS") {
        Some(Kind::Ogg)
    } else if at(0, b"fLaC") {
        Some(Kind::Flac)
    } else if at(0, &[0x1A, 0x45, 0xDF, 0xA3]) {
        Some(Kind::Webm)
    } else if head.len() >= 3
        && head[0] == 0xFF
        && head[1] & 0xE0 == 0xE0
        && (head[1] >> 1) & 0b11 != 0
        && head[2] >> 4 != 0b1111
    {
        Some(Kind::Mp3)
    } else {
        None
    }
}

/// A WAV's format and where its samples are.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Wav {
    pub channels: u16,
    pub rate: u32,
    pub bits: u16,
    /// 1 integer PCM, 3 IEEE float (0xFFFE, the extensible form, is read
    /// as its sub-format).
    pub format: u16,
    /// Where the samples start, and how many bytes of them there are.
    pub data_at: usize,
    pub data_len: usize,
}

impl Wav {
    /// The length in seconds.
    pub fn secs(&self) -> f64 {
        let frame = usize::from(self.channels) * usize::from(self.bits / 8).max(1);
        if self.rate == 0 || frame == 0 {
            return 0.0;
        }
        (self.data_len / frame) as f64 / f64::from(self.rate)
    }
}

/// Reads a WAV's header from the whole file. A data chunk whose stated
/// size is 0 or runs past the end (a recorder stopped before it wrote the
/// size) is taken to run to the end of the file.
pub fn wav(bytes: &[u8]) -> Result<Wav, String> {
    if sniff(bytes) != Some(Kind::Wav) {
        return Err("not a WAV file".into());
    }
    let u16_at = |i: usize| {
        bytes
            .get(i..i + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
    };
    let u32_at = |i: usize| {
        bytes
            .get(i..i + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let mut fmt = None;
    let mut at = 12;
    while at + 8 <= bytes.len() {
        let id = &bytes[at..at + 4];
        let size = u32_at(at + 4).unwrap_or(0) as usize;
        let body = at + 8;
        if id == b"fmt " {
            let mut format = u16_at(body).ok_or("the fmt chunk is cut short")?;
            if format == 0xFFFE {
                format = u16_at(body + 24).unwrap_or(1);
            }
            fmt = Some((
                format,
                u16_at(body + 2).ok_or("the fmt chunk is cut short")?,
                u32_at(body + 4).ok_or("the fmt chunk is cut short")?,
                u16_at(body + 14).ok_or("the fmt chunk is cut short")?,
            ));
        } else if id == b"data" {
            let (format, channels, rate, bits) = fmt.ok_or("the data chunk comes before fmt")?;
            let left = bytes.len() - body;
            let data_len = if size == 0 || size > left { left } else { size };
            return Ok(Wav {
                channels,
                rate,
                bits,
                format,
                data_at: body,
                data_len,
            });
        }
        at = body.saturating_add(size).saturating_add(size % 2);
    }
    Err("the WAV file has no data chunk".into())
}

/// The loudest sample of a WAV as a fraction of full scale (0 to 1), or
/// `None` for an encoding it does not read (compressed WAV).
pub fn peak(bytes: &[u8], wav: &Wav) -> Option<f64> {
    let data = bytes.get(wav.data_at..wav.data_at + wav.data_len)?;
    let width = usize::from(wav.bits / 8);
    let loudest = match (wav.format, wav.bits) {
        (1, 8) => data
            .iter()
            .map(|&b| (f64::from(b) - 128.0).abs() / 128.0)
            .fold(0.0, f64::max),
        (1, 16 | 24 | 32) => data
            .chunks_exact(width)
            .map(|c| {
                let mut b = [0u8; 4];
                b[4 - width..].copy_from_slice(c);
                f64::from(i32::from_le_bytes(b).unsigned_abs()) / 2_147_483_648.0
            })
            .fold(0.0, f64::max),
        (3, 32) => data
            .chunks_exact(4)
            .map(|c| f64::from(f32::from_le_bytes([c[0], c[1], c[2], c[3]]).abs()))
            .filter(|x| x.is_finite())
            .fold(0.0, f64::max),
        _ => return None,
    };
    Some(loudest)
}

/// Below this peak (about −46 dBFS) a recording is taken for silence: a
/// microphone's own noise stays under it, any word said goes far above.
pub const SILENT_PEAK: f64 = 0.005;

/// A mono 16-bit PCM WAV of `samples` (each −1 to 1) at `rate` Hz.
pub fn write_wav(samples: &[f64], rate: u32) -> Vec<u8> {
    let data_len = u32::try_from(samples.len() * 2).unwrap_or(u32::MAX);
    let mut out = Vec::with_capacity(44 + samples.len() * 2);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * 2).to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for s in samples {
        out.extend_from_slice(&((s.clamp(-1.0, 1.0) * 32767.0).round() as i16).to_le_bytes());
    }
    out
}

/// `secs` of a sine tone at `hz` (amplitude 0.5), 16 kHz: a sound any
/// server takes, for probes.
pub fn tone(secs: f64, hz: f64) -> Vec<u8> {
    let rate = 16_000u32;
    let n = (secs * f64::from(rate)) as usize;
    let samples: Vec<f64> = (0..n)
        .map(|i| 0.5 * (std::f64::consts::TAU * hz * i as f64 / f64::from(rate)).sin())
        .collect();
    write_wav(&samples, rate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_told_by_their_first_bytes() {
        let padded = |head: &[u8]| {
            let mut b = head.to_vec();
            b.resize(16, 0);
            b
        };
        assert_eq!(sniff(&tone(0.1, 440.0)), Some(Kind::Wav));
        assert_eq!(sniff(&padded(b"ID3\x04")), Some(Kind::Mp3));
        assert_eq!(sniff(&padded(&[0xFF, 0xFB, 0x90, 0x64])), Some(Kind::Mp3));
        assert_eq!(sniff(&padded(&[0xFF, 0xF1, 0x50, 0x80])), None, "ADTS AAC");
        assert_eq!(sniff(&padded(b"\0\0\0\x20ftypM4A ")), Some(Kind::M4a));
        assert_eq!(sniff(&padded(b"OggS")), Some(Kind::Ogg));
        assert_eq!(sniff(&padded(b"fLaC")), Some(Kind::Flac));
        assert_eq!(sniff(&padded(&[0x1A, 0x45, 0xDF, 0xA3])), Some(Kind::Webm));
        assert_eq!(sniff(b"Tests catch regressions before users"), None);
        assert_eq!(sniff(b"RIFF\0\0\0\0AVI LIST"), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn a_wavs_length_and_loudness_are_read_from_it() {
        let bytes = tone(1.5, 440.0);
        let w = wav(&bytes).unwrap();
        assert_eq!((w.channels, w.rate, w.bits, w.format), (1, 16_000, 16, 1));
        assert!((w.secs() - 1.5).abs() < 1e-9, "{}", w.secs());
        let p = peak(&bytes, &w).unwrap();
        assert!((p - 0.5).abs() < 0.01, "{p}");
        let silent = write_wav(&vec![0.0; 16_000], 16_000);
        let w = wav(&silent).unwrap();
        assert!(peak(&silent, &w).unwrap() < SILENT_PEAK);
        let hum = write_wav(&[0.0, 0.001, -0.002], 16_000);
        assert!(peak(&hum, &wav(&hum).unwrap()).unwrap() < SILENT_PEAK);
    }

    #[test]
    fn a_size_left_unwritten_runs_to_the_end_and_a_broken_header_is_said() {
        let mut bytes = tone(1.0, 440.0);
        bytes[40..44].copy_from_slice(&0u32.to_le_bytes());
        assert!((wav(&bytes).unwrap().secs() - 1.0).abs() < 1e-9);
        bytes[40..44].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!((wav(&bytes).unwrap().secs() - 1.0).abs() < 1e-9);
        assert_eq!(wav(&bytes[..30]).unwrap_err(), "the fmt chunk is cut short");
        assert_eq!(
            wav(&bytes[..36]).unwrap_err(),
            "the WAV file has no data chunk"
        );
        assert_eq!(wav(b"ID3 not a wav").unwrap_err(), "not a WAV file");
    }
}
