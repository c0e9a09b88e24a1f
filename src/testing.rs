//! Test helpers shared by the modules' unit tests.

/// A file under the system temp dir, removed when dropped.
pub struct TempLog(std::path::PathBuf);

impl TempLog {
    pub fn new(name: &str, bytes: &[u8]) -> TempLog {
        let path =
            std::env::temp_dir().join(format!("zeekframe-test-{}-{name}", std::process::id()));
        std::fs::write(&path, bytes).expect("temp dir is writable");
        TempLog(path)
    }

    pub fn path(&self) -> String {
        self.0.to_string_lossy().into_owned()
    }
}

impl Drop for TempLog {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

pub const HEADER: &str = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n\
    #unset_field\t-\n#path\tconn\n#fields\tts\tuid\tid.resp_p\tn\n\
    #types\ttime\tstring\tport\tcount\n";

pub fn log(rows: usize) -> String {
    let mut text = HEADER.to_owned();
    for i in 0..rows {
        let n = if i % 7 == 0 {
            "-".to_owned()
        } else {
            i.to_string()
        };
        text.push_str(&format!(
            "{}.{:06}\tC{i}\t{}\t{n}\n",
            1_300_000_000 + i,
            i,
            i % 65536
        ));
    }
    text.push_str("#close\t2020-01-01-00-00-00\n");
    text
}
