//! Rebuilds when the embedded rule pack or its test events change (they are compiled into the binary).

fn main() {
    println!("cargo:rerun-if-changed=rules");
    println!("cargo:rerun-if-changed=testdata/rules");
    println!("cargo:rerun-if-changed=build.rs");
}
