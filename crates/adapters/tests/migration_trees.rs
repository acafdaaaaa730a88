//! The SQLite and Postgres schemas evolve together: their migration trees hold the
//! same migrations, file for file, each in its own SQL dialect.

use std::collections::BTreeMap;
use std::path::Path;

/// The two trees must agree on every version and on the name after it.
///
/// `sqlx::migrate!` embeds each tree (`migrations/sqlite` for the SQLite store,
/// `migrations/postgres` for the Postgres one), applies its files in the order of
/// their versions and records each applied one by version. A version in one tree
/// only, or the same version naming another change, would leave one backend with
/// a step the other never takes. Read from the files alone: no database needed.
#[test]
fn the_sqlite_and_postgres_migrations_have_the_same_versions_and_names() {
    let sqlite = migrations("sqlite");
    let postgres = migrations("postgres");
    let mut disagreements = only_in("sqlite", &sqlite, "postgres", &postgres);
    disagreements.extend(only_in("postgres", &postgres, "sqlite", &sqlite));
    for (version, sqlite_file) in &sqlite {
        if let Some(postgres_file) = postgres.get(version) {
            if name_of(sqlite_file) != name_of(postgres_file) {
                disagreements.push(format!(
                    "version {version} is sqlite/{sqlite_file} but postgres/{postgres_file}"
                ));
            }
        }
    }
    assert!(
        disagreements.is_empty(),
        "the migration trees disagree:\n  {}",
        disagreements.join("\n  ")
    );
}

/// A tree's migration files by version, as sqlx reads them: `<version>_<name>.sql`.
fn migrations(tree: &str) -> BTreeMap<i64, String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(tree);
    let mut by_version = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("listing {tree}: {e}")) {
        let file = entry.unwrap().file_name().to_string_lossy().into_owned();
        if !file.ends_with(".sql") {
            continue;
        }
        let version = file
            .split_once('_')
            .and_then(|(version, _)| version.parse::<i64>().ok())
            .unwrap_or_else(|| panic!("{tree}/{file} does not start with `<version>_`"));
        if let Some(earlier) = by_version.insert(version, file.clone()) {
            panic!("{tree}/{earlier} and {tree}/{file} share version {version}");
        }
    }
    by_version
}

/// The part after the version: what the migration changes.
fn name_of(file: &str) -> &str {
    file.split_once('_').map_or(file, |(_, name)| name)
}

/// One line for each file of `tree` whose version `other_tree` lacks.
fn only_in(
    tree: &str,
    files: &BTreeMap<i64, String>,
    other_tree: &str,
    other_files: &BTreeMap<i64, String>,
) -> Vec<String> {
    files
        .iter()
        .filter(|(version, _)| !other_files.contains_key(version))
        .map(|(version, file)| {
            format!("{tree}/{file} has no {other_tree} migration of version {version}")
        })
        .collect()
}
