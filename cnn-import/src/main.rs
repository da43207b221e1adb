//! `cnn-import MODEL.onnx [--name Net] [--weights NET.safetensors] [--input C,H,W] > net.rs`

use std::process::ExitCode;

const USAGE: &str = "usage: cnn-import MODEL.onnx [--name Net] [--weights NET.safetensors] [--input C,H,W] > net.rs";

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Vec<String>) -> Result<(), String> {
    let mut file = None;
    let mut options = cnn_import::Options::named("Net");
    let mut weights = None;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let mut value = |flag: &str| {
            args.next()
                .ok_or_else(|| format!("`{flag}` needs a value\n{USAGE}"))
        };
        match arg.as_str() {
            "--name" => options.name = value("--name")?,
            "--weights" => weights = Some(value("--weights")?),
            "--input" => {
                let text = value("--input")?;
                let sizes: Result<Vec<i64>, _> =
                    text.split(',').map(|s| s.trim().parse::<i64>()).collect();
                match sizes {
                    Ok(s) if !s.is_empty() && s.iter().all(|&d| d > 0) => options.input = Some(s),
                    _ => {
                        return Err(format!(
                            "`--input` expects positive sizes such as 3,224,224, found `{text}`"
                        ));
                    }
                }
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            flag if flag.starts_with('-') => {
                return Err(format!("unknown option `{flag}`\n{USAGE}"));
            }
            path if file.is_none() => file = Some(path.to_string()),
            extra => {
                return Err(format!(
                    "one model at a time, found a second `{extra}`\n{USAGE}"
                ));
            }
        }
    }
    let Some(file) = file else {
        return Err(USAGE.to_string());
    };
    if !is_rust_type_name(&options.name) {
        return Err(format!(
            "`--name` expects a Rust type name such as `ResNet18`, found `{}`",
            options.name
        ));
    }
    options.dir = Some(
        std::path::Path::new(&file)
            .parent()
            .map_or_else(Default::default, |d| d.to_path_buf()),
    );
    let bytes = std::fs::read(&file).map_err(|e| format!("cannot read `{file}`: {e}"))?;
    options.source = std::path::Path::new(&file)
        .file_name()
        .map_or(file.clone(), |n| n.to_string_lossy().into_owned());
    let net = cnn_import::import(&bytes, &options).map_err(|e| format!("{file}: {e}"))?;
    if let Some(path) = weights {
        let data = net.safetensors().map_err(|e| format!("{file}: {e}"))?;
        std::fs::write(&path, data).map_err(|e| format!("cannot write `{path}`: {e}"))?;
    }
    print!("{}", net.source);
    Ok(())
}

fn is_rust_type_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}
