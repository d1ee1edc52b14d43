//! Every kind of change to a bundle is caught, with exit 1 and the first broken item named.

use std::collections::BTreeMap;
use std::path::Path;

use obharness::evidence::bundle::{self, Manifest};
use obharness::evidence::verify::{self, Verdict};
use obharness::evidence::{PublicKey, SigningKey, sha256_hex};

use crate::{Opened, obh, scratch, suite};

fn in_memory(o: &Opened) -> verify::Opened {
    let files: BTreeMap<String, Vec<u8>> = o.entries.iter().map(|e| (e.path.clone(), e.data.clone())).collect();
    verify::Opened { files, order: o.names() }
}

fn set(o: &mut Opened, path: &str, data: Vec<u8>) {
    o.entries.iter_mut().find(|e| e.path == path).unwrap_or_else(|| panic!("no {path}")).data = data;
}

fn set_manifest(o: &mut Opened, m: &Manifest) {
    let mut json = serde_json::to_vec_pretty(m).unwrap();
    json.push(b'\n');
    set(o, bundle::MANIFEST, json);
}

/// After changing a file: its hash and size in the manifest, and the bundle digest, made to
/// match again (what someone without the signing key can do).
fn rehash(o: &mut Opened, path: &str) {
    let data = o.get(path).to_vec();
    let mut m = o.manifest();
    let f = m.files.iter_mut().find(|f| f.path == path).unwrap();
    f.sha256 = sha256_hex(&data);
    f.size = data.len() as u64;
    m.bundle_digest = bundle::digest(&m.files);
    set_manifest(o, &m);
}

/// Signs the manifest again with `key` (the holder of that key re-makes the bundle).
fn resign(o: &mut Opened, key: &SigningKey) {
    let mut m = o.manifest();
    m.signer = Some(key.public().fingerprint());
    set_manifest(o, &m);
    let manifest = o.get(bundle::MANIFEST).to_vec();
    set(o, bundle::SIGNATURE, key.sign(&manifest));
    set(o, bundle::SIGNER, key.public().to_pem().into_bytes());
}

/// Re-makes a bundle as its maker would with `key` (or unsigned): the reports, which name the
/// signer, rendered again, the manifest re-hashed, then signed (or the signature dropped).
fn remake(o: &mut Opened, key: Option<&SigningKey>) {
    let model = obharness::report::json::read(&o.text(bundle::RUN_JSON)).unwrap();
    let stamp = obharness::report::stamp::BundleStamp {
        digest: o.manifest().bundle_digest,
        signer: key.map(|k| k.public().fingerprint()),
    };
    let mut html = Vec::new();
    obharness::report::html::write_conformance_stamped(&model, Some(&stamp), &mut html).unwrap();
    set(o, bundle::HTML, html);
    rehash(o, bundle::HTML);
    let mut md = Vec::new();
    obharness::report::markdown::write_conformance_stamped(&model, Some(&stamp), &mut md).unwrap();
    set(o, bundle::MARKDOWN, md);
    rehash(o, bundle::MARKDOWN);
    match key {
        Some(k) => resign(o, k),
        None => {
            o.entries.retain(|e| e.path != bundle::SIGNATURE && e.path != bundle::SIGNER);
            let mut m = o.manifest();
            m.signer = None;
            set_manifest(o, &m);
        }
    }
}

/// Verifies `o` with the binary (against the suite's key unless `pubkey` is false).
fn verify_bin(o: &Opened, name: &str, pubkey: bool) -> crate::Ran {
    // A directory per case: the tests run in parallel.
    let dir = scratch(&format!("tamper-{name}"));
    let path = dir.join(name);
    o.write(&path);
    let mut args = vec!["verify".to_string(), path.display().to_string()];
    if pubkey {
        args.extend(["--pubkey".to_string(), suite().public.display().to_string()]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    obh(&args, &dir, &[])
}

fn assert_tampered(r: &crate::Ran, item: &str, why: &str) {
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.out.starts_with("TAMPERED"), "{}", r.all());
    assert!(r.out.contains(&format!("  {item}: ")), "{item} not named:\n{}", r.all());
    assert!(r.out.contains(why), "{why:?} not said:\n{}", r.all());
}

fn private(path: &Path) -> SigningKey {
    SigningKey::from_pem(&std::fs::read_to_string(path).unwrap(), "test").unwrap()
}

#[test]
fn a_byte_changed_in_any_file_is_caught_and_the_file_named() {
    let run = suite();
    let base = Opened::read(&run.bundle);
    let key = PublicKey::load(&run.public).unwrap();
    assert!(matches!(verify::check(&in_memory(&base), Some(&key)), Verdict::Valid(_)));
    let signature_files = [bundle::MANIFEST, bundle::SIGNATURE, bundle::SIGNER];
    for (i, e) in base.entries.iter().enumerate() {
        if e.data.is_empty() {
            continue;
        }
        for at in [0, e.data.len() / 2, e.data.len() - 1] {
            let mut changed = Opened { entries: base.entries.clone() };
            changed.entries[i].data[at] ^= 0x01;
            match verify::check(&in_memory(&changed), Some(&key)) {
                Verdict::Tampered { item, .. } => {
                    let named = if signature_files.contains(&e.path.as_str()) {
                        signature_files.contains(&item.as_str())
                    } else if e.path == bundle::TRANSCRIPT {
                        item.starts_with(bundle::TRANSCRIPT)
                    } else {
                        item == e.path
                    };
                    assert!(named, "byte {at} of {} changed, but {item} named", e.path);
                }
                Verdict::Valid(_) => panic!("byte {at} of {} changed, yet the bundle verifies", e.path),
                Verdict::Unreadable { why } => panic!("byte {at} of {} changed: unreadable ({why})", e.path),
            }
        }
    }
    // And with the binary, for a few kinds of file.
    let golden = base.names().into_iter().find(|p| p.starts_with("inputs/golden/")).unwrap();
    for path in
        [bundle::RUN_JSON, bundle::HTML, "inputs/scenarios/conformance/auth/token.yaml", golden.as_str(), bundle::FACTS]
    {
        let mut changed = Opened { entries: base.entries.clone() };
        let mut data = changed.get(path).to_vec();
        let mid = data.len() / 2;
        data[mid] ^= 0x01;
        set(&mut changed, path, data);
        assert_tampered(&verify_bin(&changed, "byte.obh", true), path, "the file was changed");
    }
}

#[test]
fn a_file_added_or_removed_is_caught() {
    let base = Opened::read(&suite().bundle);
    let mut added = Opened { entries: base.entries.clone() };
    added.entries.push(obharness::evidence::tar::Entry { path: "inputs/extra.yaml".into(), data: b"id: X\n".to_vec() });
    assert_tampered(&verify_bin(&added, "added.obh", true), "inputs/extra.yaml", "a file was added");

    let gone = "inputs/scenarios/conformance/auth/token.yaml";
    let mut removed = Opened { entries: base.entries.clone() };
    removed.entries.retain(|e| e.path != gone);
    assert_tampered(&verify_bin(&removed, "removed.obh", true), gone, "a file was removed");

    let mut twice = Opened { entries: base.entries.clone() };
    let copy = twice.entries.iter().find(|e| e.path == bundle::RUN_JSON).unwrap().clone();
    twice.entries.push(copy);
    assert_tampered(&verify_bin(&twice, "twice.obh", true), bundle::RUN_JSON, "appears twice");
}

#[test]
fn a_transcript_entry_removed_or_reordered_is_named() {
    let base = Opened::read(&suite().bundle);
    let lines: Vec<String> = base.text(bundle::TRANSCRIPT).lines().map(|l| format!("{l}\n")).collect();
    let with = |ls: Vec<String>| {
        let mut o = Opened { entries: base.entries.clone() };
        set(&mut o, bundle::TRANSCRIPT, ls.concat().into_bytes());
        o
    };
    let mut removed = lines.clone();
    removed.remove(4);
    assert_tampered(
        &verify_bin(&with(removed.clone()), "removed-entry.obh", true),
        "transcript.jsonl entry 5",
        "removed",
    );
    // Removed from an unsigned bundle and the manifest re-hashed: the chain still names the
    // place (a signed one fails on its signature first).
    let mut rehashed = with(removed);
    rehashed.entries.retain(|e| e.path != bundle::SIGNATURE && e.path != bundle::SIGNER);
    let mut m = rehashed.manifest();
    m.signer = None;
    set_manifest(&mut rehashed, &m);
    rehash(&mut rehashed, bundle::TRANSCRIPT);
    assert_tampered(&verify_bin(&rehashed, "removed-rehashed.obh", false), "transcript.jsonl entry 5", "removed");

    let mut swapped = lines.clone();
    swapped.swap(6, 7);
    assert_tampered(&verify_bin(&with(swapped), "swapped.obh", true), "transcript.jsonl entry 7", "reordered");

    let last = lines.len();
    let cut = lines[..last - 1].to_vec();
    assert_tampered(
        &verify_bin(&with(cut), "cut.obh", true),
        &format!("transcript.jsonl entry {}", last - 1),
        "chain head",
    );

    let mut edited = lines.clone();
    edited[9] = edited[9].replacen("\"kind\":\"", "\"kind\":\"x", 1);
    assert_tampered(
        &verify_bin(&with(edited), "edited.obh", true),
        "transcript.jsonl entry 11",
        "entry 10 was changed",
    );
}

#[test]
fn a_manifest_re_hashed_without_the_key_or_signed_by_another_key_is_caught() {
    let run = suite();
    let base = Opened::read(&run.bundle);
    // The forgery: a passing run made to show a failure (or the other way round), every hash
    // in the manifest made to match.
    let mut forged = Opened { entries: base.entries.clone() };
    let run_json = forged.text(bundle::RUN_JSON).replacen("\"outcome\": \"passed\"", "\"outcome\": \"failed\"", 1);
    set(&mut forged, bundle::RUN_JSON, run_json.into_bytes());
    rehash(&mut forged, bundle::RUN_JSON);
    assert_tampered(&verify_bin(&forged, "rehashed.obh", true), bundle::MANIFEST, "signature does not verify");
    assert_tampered(&verify_bin(&forged, "rehashed-nokey.obh", false), bundle::MANIFEST, "signature does not verify");

    // Signed again with another key: not the key the reviewer was given.
    let dir = scratch("other-key");
    let (other, _) = crate::keygen(&dir, "other");
    let other = private(&other);
    let mut resigned = Opened { entries: forged.entries.clone() };
    resign(&mut resigned, &other);
    let r = verify_bin(&resigned, "other-key.obh", true);
    assert_tampered(&r, bundle::SIGNATURE, &format!("signed by key {}", other.public().fingerprint()));
    // Without --pubkey the signature holds, but the reports no longer say what the forged
    // run model says.
    let r = verify_bin(&resigned, "other-key-nokey.obh", false);
    assert_tampered(&r, bundle::JUNIT, "rendered again from run/run.json");
    // A bundle re-made by another key's holder, its content untouched: without --pubkey it
    // verifies, naming the other key, never the expected one.
    let mut resigned = Opened { entries: base.entries.clone() };
    remake(&mut resigned, Some(&other));
    let r = verify_bin(&resigned, "other-key-only.obh", false);
    assert_eq!(r.code, 0, "{}", r.all());
    let expected = PublicKey::load(&run.public).unwrap().fingerprint();
    assert!(r.out.contains(&other.public().fingerprint()) && !r.out.contains(&expected), "{}", r.all());
    let r = verify_bin(&resigned, "other-key-only-pubkey.obh", true);
    assert_tampered(&r, bundle::SIGNATURE, "not by the key given with --pubkey");

    // The signature stripped: the manifest still says who signed.
    let mut stripped = Opened { entries: base.entries.clone() };
    stripped.entries.retain(|e| e.path != bundle::SIGNATURE && e.path != bundle::SIGNER);
    assert_tampered(&verify_bin(&stripped, "stripped.obh", false), bundle::SIGNATURE, "the signature was removed");
    // ... and the manifest's signer too: the reports still name the signer.
    let mut m = stripped.manifest();
    m.signer = None;
    set_manifest(&mut stripped, &m);
    assert_tampered(&verify_bin(&stripped, "unsigned-reports.obh", false), bundle::HTML, "rendered again");
    // Re-made unsigned throughout: only --pubkey tells (the bundle is merely intact).
    let mut unsigned = Opened { entries: base.entries.clone() };
    remake(&mut unsigned, None);
    let r = verify_bin(&unsigned, "unsigned.obh", false);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.out.starts_with("INTACT, UNSIGNED"), "{}", r.all());
    assert_tampered(&verify_bin(&unsigned, "unsigned-pubkey.obh", true), bundle::SIGNATURE, "unsigned");
}

#[test]
fn a_report_that_does_not_say_what_the_run_model_says_is_caught_even_when_signed() {
    let run = suite();
    let mut o = Opened::read(&run.bundle);
    // The signer edits the HTML (a failure hidden) and signs it all properly.
    let html = o.text(bundle::HTML).replacen("<span class=\"verdict pass\"", "<span class=\"verdict pass\" data-x", 1);
    set(&mut o, bundle::HTML, html.into_bytes());
    rehash(&mut o, bundle::HTML);
    resign(&mut o, &private(&run.key));
    assert_tampered(&verify_bin(&o, "html.obh", true), bundle::HTML, "rendered again from run/run.json");
    // A bundle that does not verify still gives its report, with a warning and exit 1.
    let dir = scratch("tampered-report");
    o.write(&dir.join("t.obh"));
    let r = obh(&["report", "t.obh", "--html", "t.html"], &dir, &[]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.err.contains("does not verify") && dir.join("t.html").exists(), "{}", r.all());
}

#[test]
fn a_bundle_of_another_build_has_its_reports_checked_as_far_as_this_build_can() {
    let run = suite();
    let key = private(&run.key);
    let base = Opened::read(&run.bundle);
    // Made by another version, whose HTML renderer differs a little.
    let mut other = Opened { entries: base.entries.clone() };
    let mut m = other.manifest();
    m.tool.version = "0.0.9".into();
    set_manifest(&mut other, &m);
    let html = other.text(bundle::HTML).replacen("</body>", "<!-- another renderer --></body>", 1);
    set(&mut other, bundle::HTML, html.clone().into_bytes());
    rehash(&mut other, bundle::HTML);
    resign(&mut other, &key);
    let r = verify_bin(&other, "other-build.obh", true);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.out.contains("not the reports against the run model: made by obharness 0.0.9"), "{}", r.all());
    // ... but its HTML must still name the bundle it belongs to.
    let forged = html.replace(&m.bundle_digest, &format!("sha256:{}", "0".repeat(64)));
    set(&mut other, bundle::HTML, forged.into_bytes());
    rehash(&mut other, bundle::HTML);
    resign(&mut other, &key);
    assert_tampered(
        &verify_bin(&other, "other-build-digest.obh", true),
        bundle::HTML,
        "does not name the bundle's digest",
    );
}
