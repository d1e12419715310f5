//! Fallback fonts for scripts that egui's built-in fonts lack (CJK, Arabic, Hebrew, Devanagari…).
//!
//! No font is bundled. [`SystemFonts`] is an egui [`FontProvider`]: egui asks it only when a
//! character has no glyph in any installed font. On the first such request it walks the usual
//! font folders once (bounded by [`Limits`]) for well-known families that cover the character's
//! script ([`find_fonts`], a pure function over the folders it is given), reads the best file once
//! and hands it to egui, which appends it to the fallback chain after its own fonts, for both
//! proportional and monospace text. Nothing is read at start-up, and a machine without such fonts
//! just keeps showing boxes for those characters.

use egui::{FallbackRequest, FontData, FontFamily, FontInsert, FontPriority, InsertFontFamily};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

/// Groups of characters that need a font of their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Script {
    /// Han ideographs, kana, hangul, CJK punctuation and full-width forms.
    Cjk,
    Arabic,
    Hebrew,
    Devanagari,
    /// Anything else the built-in fonts miss (e.g. Greek extended, Armenian, symbols).
    Other,
}

/// The script a character belongs to, as far as choosing a font goes.
pub fn script_of(c: char) -> Script {
    match u32::from(c) {
        0x0590..=0x05FF | 0xFB1D..=0xFB4F => Script::Hebrew,
        0x0600..=0x06FF | 0x0750..=0x077F | 0x0870..=0x08FF | 0xFB50..=0xFDFF | 0xFE70..=0xFEFF => {
            Script::Arabic
        }
        0x0900..=0x097F | 0xA8E0..=0xA8FF => Script::Devanagari,
        0x1100..=0x11FF
        | 0x2E80..=0x2FDF
        | 0x2FF0..=0x303F
        | 0x3040..=0x33FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA960..=0xA97F
        | 0xAC00..=0xD7FF
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFFEF
        | 0x20000..=0x3FFFF => Script::Cjk,
        _ => Script::Other,
    }
}

/// A well-known font family, matched by file name.
struct Known {
    /// Normalised file stem (see [`normalise_stem`]); a trailing `*` matches any continuation.
    stem: &'static str,
    family: &'static str,
    scripts: &'static [Script],
}

use Script::{Arabic, Cjk, Devanagari, Hebrew, Other};

/// Known families in order of preference (earlier wins for a script).
const KNOWN: &[Known] = &[
    // CJK
    k("notosanscjk*", "Noto Sans CJK", &[Cjk]),
    k("sourcehansans*", "Source Han Sans", &[Cjk]),
    k("notosanssc", "Noto Sans SC", &[Cjk]),
    k("notosanstc", "Noto Sans TC", &[Cjk]),
    k("notosansjp", "Noto Sans JP", &[Cjk]),
    k("notosanshk", "Noto Sans HK", &[Cjk]),
    k("droidsansfallbackfull", "Droid Sans Fallback", &[Cjk]),
    k("droidsansfallback", "Droid Sans Fallback", &[Cjk]),
    k("wqyzenhei", "WenQuanYi Zen Hei", &[Cjk]),
    k("wqymicrohei", "WenQuanYi Micro Hei", &[Cjk]),
    k("pingfang", "PingFang", &[Cjk]),
    k("hiraginosansgb*", "Hiragino Sans GB", &[Cjk]),
    k("msyh", "Microsoft YaHei", &[Cjk]),
    k("yugothr", "Yu Gothic", &[Cjk]),
    k("meiryo", "Meiryo", &[Cjk]),
    k("simsun", "SimSun", &[Cjk]),
    k("msgothic", "MS Gothic", &[Cjk]),
    k("notosanskr", "Noto Sans KR", &[Cjk]),
    k("applesdgothicneo", "Apple SD Gothic Neo", &[Cjk]),
    k("malgun", "Malgun Gothic", &[Cjk]),
    // Arabic, Hebrew, Devanagari
    k("notosansarabic*", "Noto Sans Arabic", &[Arabic]),
    k("notonaskharabic*", "Noto Naskh Arabic", &[Arabic]),
    k("notosanshebrew*", "Noto Sans Hebrew", &[Hebrew]),
    k("notosansdevanagari*", "Noto Sans Devanagari", &[Devanagari]),
    k("lohitdevanagari", "Lohit Devanagari", &[Devanagari]),
    k("gargi", "Gargi", &[Devanagari]),
    k("dejavusans", "DejaVu Sans", &[Arabic, Hebrew, Other]),
    k("freesans", "FreeSans", &[Hebrew, Other]),
    k("notosans", "Noto Sans", &[Other]),
    k("geezapro", "Geeza Pro", &[Arabic]),
    k("arialhb", "Arial Hebrew", &[Hebrew]),
    k("kohinoor", "Kohinoor", &[Devanagari]),
    k("devanagarimt", "Devanagari MT", &[Devanagari]),
    k("segoeui", "Segoe UI", &[Arabic, Hebrew, Other]),
    k("nirmala", "Nirmala UI", &[Devanagari]),
    k("mangal", "Mangal", &[Devanagari]),
    k("tahoma", "Tahoma", &[Arabic, Hebrew, Other]),
    k("arial", "Arial", &[Arabic, Hebrew, Other]),
    // Last resort for everything.
    k(
        "arialunicode*",
        "Arial Unicode MS",
        &[Cjk, Arabic, Hebrew, Devanagari, Other],
    ),
    k(
        "arialuni",
        "Arial Unicode MS",
        &[Cjk, Arabic, Hebrew, Devanagari, Other],
    ),
];

const fn k(stem: &'static str, family: &'static str, scripts: &'static [Script]) -> Known {
    Known {
        stem,
        family,
        scripts,
    }
}

/// Words in a file name that mean a style other than regular.
const STYLES: &[&str] = &[
    "bold",
    "italic",
    "oblique",
    "light",
    "thin",
    "black",
    "heavy",
    "medium",
    "condensed",
    "mono",
];

/// A font file found on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundFont {
    pub path: PathBuf,
    /// Face index inside a `.ttc`/`.otc` collection (0 for single fonts and first faces).
    pub index: u32,
    /// The family it was recognised as.
    pub family: &'static str,
    /// Scripts it is used for.
    pub scripts: &'static [Script],
}

/// Bounds on the folder walk, so a huge or looping folder cannot stall the app.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Directory entries looked at in total.
    pub max_entries: usize,
    /// Folder depth below each starting folder.
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_entries: 20_000,
            max_depth: 8,
        }
    }
}

/// The usual font folders of Linux/BSD, macOS and Windows (those that do not exist are skipped
/// by [`find_fonts`]). The user's own folders come first.
pub fn default_dirs() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    let home = std::env::var_os("HOME")
        .or_else(|| std::env::var_os("USERPROFILE"))
        .map(PathBuf::from);
    if let Some(d) = std::env::var_os("XDG_DATA_HOME") {
        dirs.push(PathBuf::from(d).join("fonts"));
    }
    if let Some(h) = &home {
        dirs.push(h.join(".local/share/fonts"));
        dirs.push(h.join(".fonts"));
        dirs.push(h.join("Library/Fonts"));
    }
    dirs.push(PathBuf::from("/usr/local/share/fonts"));
    dirs.push(PathBuf::from("/usr/share/fonts"));
    dirs.push(PathBuf::from("/System/Library/Fonts"));
    dirs.push(PathBuf::from("/Library/Fonts"));
    if let Some(d) = std::env::var_os("LOCALAPPDATA") {
        dirs.push(PathBuf::from(d).join("Microsoft/Windows/Fonts"));
    }
    let windir =
        std::env::var_os("WINDIR").map_or_else(|| PathBuf::from(r"C:\Windows"), PathBuf::from);
    dirs.push(windir.join("Fonts"));
    let mut seen = HashSet::new();
    dirs.retain(|d| seen.insert(d.clone()));
    dirs
}

/// Lower-case letters and digits of a file stem, without a bracketed part (`[wght]`) and without
/// a trailing "regular": `NotoSansCJK-Regular` → `notosanscjk`.
fn normalise_stem(stem: &str) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    for c in stem.chars() {
        match c {
            '[' | '(' => depth += 1,
            ']' | ')' => depth = depth.saturating_sub(1),
            c if depth == 0 && c.is_ascii_alphanumeric() => out.push(c.to_ascii_lowercase()),
            _ => {}
        }
    }
    if let Some(s) = out.strip_suffix("regular") {
        out.truncate(s.len());
    }
    out
}

/// Which entry of [`KNOWN`] a font file is, if any.
fn recognise(path: &Path) -> Option<usize> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    if !matches!(ext.as_str(), "ttf" | "otf" | "ttc" | "otc") {
        return None;
    }
    let stem = normalise_stem(path.file_stem()?.to_str()?);
    KNOWN.iter().position(|k| match k.stem.strip_suffix('*') {
        Some(prefix) => {
            stem.starts_with(prefix) && {
                let rest = &stem[prefix.len()..];
                !STYLES.iter().any(|s| rest.contains(s))
            }
        }
        None => stem == k.stem,
    })
}

/// Walks `dirs` (not following symlinked folders, within `limits`) and returns the well-known
/// fonts found, most preferred first (by family, then by the order of `dirs`).
pub fn find_fonts(dirs: &[PathBuf], limits: Limits) -> Vec<FoundFont> {
    let mut found: Vec<(usize, usize, PathBuf)> = Vec::new();
    let mut entries = 0usize;
    'dirs: for (di, dir) in dirs.iter().enumerate() {
        let mut stack = vec![(dir.clone(), 0usize)];
        while let Some((d, depth)) = stack.pop() {
            let Ok(rd) = std::fs::read_dir(&d) else {
                continue;
            };
            let mut subdirs = Vec::new();
            for e in rd.flatten() {
                entries += 1;
                if entries > limits.max_entries {
                    break 'dirs;
                }
                let Ok(ft) = e.file_type() else {
                    continue;
                };
                let path = e.path();
                if ft.is_dir() {
                    if depth < limits.max_depth {
                        subdirs.push(path);
                    }
                } else if let Some(rank) = recognise(&path) {
                    found.push((rank, di, path));
                }
            }
            // Sorted so that the result does not depend on the order the OS lists entries in.
            subdirs.sort();
            stack.extend(subdirs.into_iter().rev().map(|p| (p, depth + 1)));
        }
    }
    found.sort();
    let mut seen = HashSet::new();
    found
        .into_iter()
        .filter(|(_, _, p)| seen.insert(p.clone()))
        .filter_map(|(rank, _, path)| {
            let k = KNOWN.get(rank)?;
            Some(FoundFont {
                path,
                index: 0,
                family: k.family,
                scripts: k.scripts,
            })
        })
        .collect()
}

/// Font files larger than this are not read.
const MAX_FONT_BYTES: u64 = 64 * 1024 * 1024;

/// An egui [`FontProvider`] that finds fallback fonts among the installed system fonts.
pub struct SystemFonts {
    dirs: Vec<PathBuf>,
    limits: Limits,
    found: OnceLock<Vec<FoundFont>>,
    /// Files already handed to egui (or unreadable): never offered twice.
    used: Mutex<HashSet<PathBuf>>,
}

impl SystemFonts {
    /// A provider over `dirs` (nothing is read until egui asks for a character).
    pub fn new(dirs: Vec<PathBuf>) -> Self {
        SystemFonts {
            dirs,
            limits: Limits::default(),
            found: OnceLock::new(),
            used: Mutex::new(HashSet::new()),
        }
    }

    /// The fonts this provider can offer (walks the folders on first use).
    pub fn found(&self) -> &[FoundFont] {
        self.found
            .get_or_init(|| find_fonts(&self.dirs, self.limits))
    }

    /// The next font for `c` that was not offered yet, read from disk.
    pub fn font_for_char(&self, c: char) -> Option<FontInsert> {
        let script = script_of(c);
        let mut used = self.used.lock().ok()?;
        for f in self.found().iter().filter(|f| f.scripts.contains(&script)) {
            if !used.insert(f.path.clone()) {
                continue;
            }
            let Some(bytes) = read_font(&f.path) else {
                continue;
            };
            let data = FontData::from_blob(Arc::new(bytes), f.index);
            let families = [FontFamily::Proportional, FontFamily::Monospace]
                .into_iter()
                .map(|family| InsertFontFamily {
                    family,
                    priority: FontPriority::Lowest,
                })
                .collect();
            let name = format!("system:{}", f.path.display());
            return Some(FontInsert::new(&name, data, families));
        }
        None
    }
}

fn read_font(path: &Path) -> Option<Vec<u8>> {
    let len = std::fs::metadata(path).ok()?.len();
    if len == 0 || len > MAX_FONT_BYTES {
        return None;
    }
    std::fs::read(path).ok()
}

impl egui::FontProvider for SystemFonts {
    fn font_for(&self, request: &FallbackRequest<'_>) -> Option<FontInsert> {
        self.font_for_char(request.cluster.chars().next()?)
    }
}

/// Installs the system-font fallback into `ctx` (used by the desktop app at start-up).
pub fn install(ctx: &egui::Context) {
    ctx.add_font_provider(Arc::new(SystemFonts::new(default_dirs())));
}

#[cfg(test)]
mod tests {
    use super::{FoundFont, Limits, Script, SystemFonts, find_fonts, normalise_stem, script_of};
    use egui::{FallbackRequest, FontFamily, FontPriority};
    use std::path::{Path, PathBuf};

    fn touch(root: &Path, rel: &str, bytes: &[u8]) -> PathBuf {
        let p = root.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&p, bytes).unwrap();
        p
    }

    fn families(found: &[FoundFont]) -> Vec<&str> {
        found.iter().map(|f| f.family).collect()
    }

    #[test]
    fn scripts_of_characters() {
        assert_eq!(script_of('漢'), Script::Cjk);
        assert_eq!(script_of('か'), Script::Cjk);
        assert_eq!(script_of('한'), Script::Cjk);
        assert_eq!(script_of('。'), Script::Cjk);
        assert_eq!(script_of('ب'), Script::Arabic);
        assert_eq!(script_of('ש'), Script::Hebrew);
        assert_eq!(script_of('क'), Script::Devanagari);
        assert_eq!(script_of('é'), Script::Other);
        assert_eq!(script_of('Ω'), Script::Other);
    }

    #[test]
    fn stems_are_normalised() {
        assert_eq!(normalise_stem("NotoSansCJK-Regular"), "notosanscjk");
        assert_eq!(normalise_stem("NotoSansSC[wght]"), "notosanssc");
        assert_eq!(normalise_stem("Arial Unicode"), "arialunicode");
        assert_eq!(normalise_stem("wqy-zenhei"), "wqyzenhei");
    }

    #[test]
    fn finds_known_fonts_in_nested_folders_skipping_other_styles() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        touch(root, "opentype/noto/NotoSansCJK-Regular.ttc", b"cjk");
        touch(root, "opentype/noto/NotoSansCJK-Bold.ttc", b"x");
        touch(root, "truetype/dejavu/DejaVuSans.ttf", b"dv");
        touch(root, "truetype/dejavu/DejaVuSansMono.ttf", b"x");
        touch(root, "truetype/dejavu/DejaVuSans-Bold.ttf", b"x");
        touch(root, "truetype/noto/NotoSansHebrew-Regular.ttf", b"he");
        touch(root, "truetype/noto/NotoSansArabicUI-Regular.ttf", b"x");
        touch(root, "truetype/noto/NotoSansDevanagari-Regular.otf", b"dn");
        touch(root, "misc/SomethingElse-Regular.ttf", b"x");
        touch(root, "misc/DejaVuSans.txt", b"x");
        let other = tempfile::tempdir().unwrap();
        touch(other.path(), "wqy-zenhei.TTC", b"wq");
        let dirs = vec![
            root.to_owned(),
            root.join("does-not-exist"),
            other.path().to_owned(),
        ];
        let found = find_fonts(&dirs, Limits::default());
        assert_eq!(
            families(&found),
            [
                "Noto Sans CJK",
                "WenQuanYi Zen Hei",
                "Noto Sans Arabic",
                "Noto Sans Hebrew",
                "Noto Sans Devanagari",
                "DejaVu Sans"
            ]
        );
        assert!(
            found[0]
                .path
                .ends_with("opentype/noto/NotoSansCJK-Regular.ttc")
        );
        assert!(found.iter().all(|f| f.index == 0));
    }

    #[test]
    fn missing_folders_and_tight_limits_find_nothing_without_failing() {
        let none = find_fonts(
            &[PathBuf::from("/no/such/folder/at/all")],
            Limits::default(),
        );
        assert!(none.is_empty());
        let dir = tempfile::tempdir().unwrap();
        touch(dir.path(), "a/b/c/DejaVuSans.ttf", b"dv");
        let shallow = Limits {
            max_entries: 100,
            max_depth: 2,
        };
        assert!(find_fonts(&[dir.path().to_owned()], shallow).is_empty());
        let few = Limits {
            max_entries: 2,
            max_depth: 8,
        };
        assert!(find_fonts(&[dir.path().to_owned()], few).is_empty());
        assert_eq!(
            find_fonts(&[dir.path().to_owned()], Limits::default()).len(),
            1
        );
    }

    #[cfg(unix)]
    #[test]
    fn symlinked_folders_are_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        touch(dir.path(), "fonts/DejaVuSans.ttf", b"dv");
        std::os::unix::fs::symlink(dir.path(), dir.path().join("fonts/loop")).unwrap();
        let found = find_fonts(&[dir.path().to_owned()], Limits::default());
        assert_eq!(found.len(), 1);
    }

    #[test]
    fn provider_offers_each_file_once_per_script_in_preference_order() {
        let dir = tempfile::tempdir().unwrap();
        let cjk = touch(dir.path(), "NotoSansCJK-Regular.ttc", b"cjk bytes");
        touch(dir.path(), "DroidSansFallbackFull.ttf", b"droid");
        touch(dir.path(), "DejaVuSans.ttf", b"dejavu");
        touch(dir.path(), "empty/NotoSansHebrew-Regular.ttf", b"");
        let p = SystemFonts::new(vec![dir.path().to_owned()]);
        let family = FontFamily::Proportional;
        let ask = |c: &str| {
            egui::FontProvider::font_for(
                &p,
                &FallbackRequest {
                    cluster: c,
                    family: &family,
                },
            )
        };
        let first = ask("漢字").unwrap();
        assert_eq!(first.name, format!("system:{}", cjk.display()));
        let bytes: &[u8] = (*first.data.font).as_ref();
        assert_eq!(bytes, b"cjk bytes");
        assert_eq!(first.data.index, 0);
        let fams: Vec<_> = first.families.iter().map(|f| f.family.clone()).collect();
        assert_eq!(fams, [FontFamily::Proportional, FontFamily::Monospace]);
        assert!(
            first
                .families
                .iter()
                .all(|f| f.priority == FontPriority::Lowest)
        );
        // A CJK character the first font lacked: the next CJK font.
        let second = ask("𠀀").unwrap();
        assert!(second.name.ends_with("DroidSansFallbackFull.ttf"));
        assert!(ask("字").is_none(), "no CJK font left");
        // Hebrew: the empty Noto file is skipped, DejaVu Sans covers it.
        let he = ask("ש").unwrap();
        assert!(he.name.ends_with("DejaVuSans.ttf"));
        assert!(ask("ب").is_none(), "DejaVu Sans was already given");
    }
}
