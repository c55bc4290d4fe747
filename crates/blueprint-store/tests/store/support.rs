//! A fresh, empty store on either backend, and a side door for editing it behind the store's
//! back (what a tamperer would do).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use blueprint_store::{Backend, Store};
use sqlx::Connection;

/// The PostgreSQL server the tests use: the machine's own (trust auth on loopback), or
/// `BLUEPRINT_TEST_POSTGRES`. Never skipped: a test that cannot reach it fails, saying so.
pub fn postgres_url() -> String {
    std::env::var("BLUEPRINT_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

pub struct Db {
    backend: Backend,
    dir: tempfile::TempDir,
    url: String,
    /// PostgreSQL: the schema this test owns (dropped when it ends).
    schema: Option<String>,
}

impl Db {
    /// An empty store of its own: a new SQLite file, or a new PostgreSQL schema.
    pub async fn new(backend: Backend) -> Db {
        let dir = tempfile::tempdir().unwrap();
        match backend {
            Backend::Sqlite => Db {
                backend,
                url: dir.path().join("state.db").display().to_string(),
                dir,
                schema: None,
            },
            Backend::Postgres => {
                static NEXT: AtomicU32 = AtomicU32::new(0);
                let schema = format!(
                    "store_test_{}_{}",
                    std::process::id(),
                    NEXT.fetch_add(1, Ordering::Relaxed)
                );
                let base = postgres_url();
                let mut conn = sqlx::PgConnection::connect(&base).await.unwrap_or_else(|e| {
                    panic!(
                        "PostgreSQL at {base} is not reachable ({e}): start it (.ci/run does) or point BLUEPRINT_TEST_POSTGRES at one"
                    )
                });
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                    "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
                )))
                .execute(&mut conn)
                .await
                .unwrap();
                let separator = if base.contains('?') { '&' } else { '?' };
                Db {
                    backend,
                    url: format!("{base}{separator}options[search_path]={schema}"),
                    dir,
                    schema: Some(schema),
                }
            }
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// What `Store::connect` takes (and what another process would be given).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A scratch directory that lives as long as the store.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// A new handle on the store (its own connection pool), as another process would open it.
    pub async fn open(&self) -> Store {
        Store::connect(&self.url).await.unwrap()
    }

    /// The single integer a query returns, read straight from the database.
    pub async fn scalar(&self, sql: &str) -> i64 {
        use sqlx::Row;
        let sql = sqlx::AssertSqlSafe(sql.to_string());
        match self.backend {
            Backend::Sqlite => {
                let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", self.url))
                    .await
                    .unwrap();
                sqlx::query(sql).fetch_one(&mut conn).await.unwrap().get(0)
            }
            Backend::Postgres => {
                let mut conn = sqlx::PgConnection::connect(&self.url).await.unwrap();
                sqlx::query(sql).fetch_one(&mut conn).await.unwrap().get(0)
            }
        }
    }

    /// Runs SQL straight on the database, bypassing the store.
    pub async fn exec(&self, sql: &str) {
        let sql = sqlx::AssertSqlSafe(sql.to_string());
        match self.backend {
            Backend::Sqlite => {
                let path = PathBuf::from(&self.url);
                let mut conn =
                    sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
                        .await
                        .unwrap();
                sqlx::raw_sql(sql).execute(&mut conn).await.unwrap();
            }
            Backend::Postgres => {
                let mut conn = sqlx::PgConnection::connect(&self.url).await.unwrap();
                sqlx::raw_sql(sql).execute(&mut conn).await.unwrap();
            }
        }
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        let Some(schema) = self.schema.take() else {
            return;
        };
        // Drop runs outside any async context it could borrow: a thread with its own runtime.
        let base = postgres_url();
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                if let Ok(mut conn) = sqlx::PgConnection::connect(&base).await {
                    let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                        "DROP SCHEMA IF EXISTS {schema} CASCADE"
                    )))
                    .execute(&mut conn)
                    .await;
                }
            });
        })
        .join();
    }
}
