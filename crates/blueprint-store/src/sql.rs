//! The SQL both backends run: written once with `$n` placeholders and the syntax SQLite and
//! PostgreSQL share (`INSERT … RETURNING`, `ON CONFLICT … DO UPDATE`), and compiled once per
//! backend by [`impl_state_store!`]. sqlx's pools, transactions and rows have the same methods
//! for both databases but different types, and spelling the generic bounds for every column
//! type costs more than it saves; the macro gives each backend its own concrete code from one
//! source text. What differs lives in the backend's module: its schema (migrations whose SQL is
//! the same in both are the constants below), `begin_write` (how a
//! writer takes the database's write lock), and `verify` (how the log is read back).

/// Migration 4 of both backends (their SQL is the same): where a lock's holder runs (boot id,
/// host name, pid namespace), so a holder on this machine whose process is gone is taken over at
/// once, without waiting for its lease to lapse.
pub(crate) const LOCK_HOLDER_MACHINE: &str = r#"
ALTER TABLE deploy_locks ADD COLUMN machine TEXT NOT NULL DEFAULT '';
"#;

/// Migration 5 of both backends: the engagements the web server shows, one per
/// agency: where each one's workspace (profile and state) is, and the partners (by organisation
/// name, a JSON array) the agency granted it to.
pub(crate) const ENGAGEMENTS_TABLE: &str = r#"
CREATE TABLE engagements (
    id            TEXT PRIMARY KEY,
    agency        TEXT NOT NULL,
    workspace     TEXT NOT NULL,
    partners      TEXT NOT NULL DEFAULT '[]',
    registered_at TEXT NOT NULL
);
"#;

/// Migration 7 of both backends: a failed change keeps the service's answer (its status, error
/// code, message and request ids, as JSON) beside the words, so the reports can show them.
pub(crate) const CHANGE_REFUSAL: &str = r#"
ALTER TABLE changes ADD COLUMN refused TEXT;
"#;

/// The columns of a change, in the order `change_from_row` reads them.
macro_rules! change_columns {
    () => {
        "id, run_id, feature, reference, op, object_id, before, after, status, detail, refused"
    };
}
pub(crate) use change_columns;

/// The columns of a lock, in the order `lock_from_row` reads them.
macro_rules! lock_columns {
    () => {
        "tenant, owner, pid, host, purpose, actor, acquired_ms, renewed_ms, expires_ms, machine"
    };
}
pub(crate) use lock_columns;

/// `SELECT` of a lock's columns, followed by `$rest`.
macro_rules! select_lock {
    ($rest:literal) => {
        concat!(
            "SELECT ",
            $crate::sql::lock_columns!(),
            " FROM deploy_locks ",
            $rest
        )
    };
}
pub(crate) use select_lock;

/// The feature log's columns, in the order every query selects and inserts them (and
/// [`crate::log::column_name`] names them).
macro_rules! log_columns {
    () => {
        "seq, time, kind, feature, actor, role, sprint, detail, before_digest, after_digest, prev_hash, hash"
    };
}
pub(crate) use log_columns;

/// `SELECT` of the feature log's columns, followed by `$rest`.
macro_rules! select_log {
    ($rest:literal) => {
        concat!(
            "SELECT ",
            $crate::sql::log_columns!(),
            " FROM feature_log ",
            $rest
        )
    };
}
pub(crate) use select_log;

/// Implements [`crate::StateStore`] for `$store`, a struct with a `pool: sqlx::Pool<$db>` field
/// and inherent methods `begin_write()` (a transaction holding the database's write lock),
/// `begin_change()` (a transaction that writes rows no other writer reads first) and
/// `verify()`; `$backend` is its [`crate::Backend`].
macro_rules! impl_state_store {
    ($store:ty, $backend:expr, $db:ty) => {
        impl $store {
            /// Walks the feature log in `seq` order, a page at a time inside one snapshot (a
            /// read transaction; PostgreSQL's is REPEATABLE READ, see `begin_snapshot`), handing
            /// `visit` each row's `seq` and columns, or why they cannot be read. `visit` returns
            /// false to stop early.
            async fn walk_log(
                &self,
                mut visit: impl for<'r> FnMut(
                    Option<i64>,
                    Result<($crate::log::RawEntry<'r>, &'r str), String>,
                ) -> Result<bool, $crate::StoreError>
                    + Send,
            ) -> Result<(), $crate::StoreError> {
                use sqlx::Row;
                let mut tx = self.begin_snapshot().await?;
                let mut last = i64::MIN;
                loop {
                    let rows = sqlx::query($crate::sql::select_log!(
                        "WHERE seq > $1 ORDER BY seq LIMIT $2"
                    ))
                    .bind(last)
                    .bind($crate::log::PAGE)
                    .fetch_all(&mut *tx)
                    .await?;
                    for row in &rows {
                        let seq: Option<i64> = row.try_get(0).ok();
                        if !visit(seq, $crate::log::raw_from_row(row))? {
                            return Ok(());
                        }
                        // A row whose seq cannot be read was refused by `visit` above.
                        last = seq.unwrap_or(last);
                    }
                    if (rows.len() as i64) < $crate::log::PAGE {
                        break;
                    }
                }
                tx.commit().await?;
                Ok(())
            }

            /// Appends `events` to the feature log inside `tx`, which holds the write lock (so
            /// the last entry read is the one chained onto).
            async fn append_in(
                tx: &mut sqlx::Transaction<'static, $db>,
                events: &[$crate::LogEvent],
            ) -> Result<Vec<$crate::LogEntry>, $crate::StoreError> {
                use sqlx::Row;
                let details = $crate::log::canonical_details(events)?;
                let last = sqlx::query("SELECT seq, hash FROM feature_log ORDER BY seq DESC LIMIT 1")
                    .fetch_optional(&mut **tx)
                    .await?;
                let (seq, prev_hash): (i64, String) = match last {
                    Some(row) => (row.try_get(0)?, row.try_get(1)?),
                    None => (0, $crate::GENESIS.to_string()),
                };
                let chained = $crate::log::chain(seq, prev_hash, events, &details);
                // Multi-row INSERTs: one round trip per few hundred entries instead of one
                // each (12 parameters a row stays far under either database's limit).
                for rows in chained.chunks(400) {
                    let mut insert = sqlx::QueryBuilder::new(
                        concat!("INSERT INTO feature_log (", $crate::sql::log_columns!(), ") "),
                    );
                    insert.push_values(rows, |mut row, (entry, detail)| {
                        let event = &entry.event;
                        row.push_bind(entry.seq)
                            .push_bind(entry.time.as_str())
                            .push_bind(event.kind.as_str())
                            .push_bind(event.feature.as_deref())
                            .push_bind(event.actor.as_str())
                            .push_bind(event.role.as_str())
                            .push_bind(event.sprint)
                            .push_bind(detail.as_str())
                            .push_bind(event.before_digest.as_deref())
                            .push_bind(event.after_digest.as_deref())
                            .push_bind(entry.prev_hash.as_str())
                            .push_bind(entry.hash.as_str());
                    });
                    insert.build().execute(&mut **tx).await?;
                }
                Ok(chained.into_iter().map(|(entry, _)| entry).collect())
            }

            /// Records `object` as managed inside `tx`. A later adoption never downgrades
            /// "created by the tool".
            async fn manage_in(
                tx: &mut sqlx::Transaction<'static, $db>,
                tenant: &str,
                object: &$crate::ManagedObject,
            ) -> Result<(), $crate::StoreError> {
                sqlx::query(
                    "INSERT INTO managed_objects (tenant, reference, kind, object_id, feature, created_by_tool, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)
                     ON CONFLICT (tenant, reference) DO UPDATE SET
                       object_id = excluded.object_id,
                       created_by_tool = CASE WHEN excluded.created_by_tool = 1 THEN 1 ELSE managed_objects.created_by_tool END,
                       updated_at = excluded.updated_at",
                )
                .bind(tenant)
                .bind(&object.reference)
                .bind(&object.kind)
                .bind(&object.object_id)
                .bind(&object.feature)
                .bind(object.created_by_tool as i64)
                .bind($crate::now())
                .execute(&mut **tx)
                .await?;
                Ok(())
            }

            /// Brings the schema up to date: runs the `migrations` not yet applied, in order,
            /// with the write lock held (two processes opening a new store at once migrate one
            /// after the other). An early return drops the transaction, which rolls it back.
            async fn migrate(&self, migrations: &'static [&'static str]) -> Result<(), $crate::StoreError> {
                use sqlx::Row;
                let known = migrations.len() as i64;
                // Up to date (every open but the first): no write lock for a reader. A missing
                // table reads as "behind" and takes the locked path below.
                let current: Option<i64> = sqlx::query("SELECT COALESCE(MAX(version), 0) FROM schema_version")
                    .fetch_one(&self.pool)
                    .await
                    .ok()
                    .and_then(|row| row.try_get(0).ok());
                if current == Some(known) {
                    return Ok(());
                }
                let mut tx = self.begin_write().await?;
                sqlx::query("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)")
                    .execute(&mut *tx)
                    .await?;
                let version: i64 = sqlx::query("SELECT COALESCE(MAX(version), 0) FROM schema_version")
                    .fetch_one(&mut *tx)
                    .await?
                    .try_get(0)?;
                if version > known {
                    return Err($crate::StoreError::TooNew {
                        found: version,
                        known,
                    });
                }
                for (i, sql) in migrations.iter().enumerate().skip(version as usize) {
                    sqlx::raw_sql(*sql).execute(&mut *tx).await?;
                    sqlx::query("INSERT INTO schema_version (version) VALUES ($1)")
                        .bind(i as i64 + 1)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(())
            }
        }

        impl $crate::StateStore for $store {
            fn backend(&self) -> $crate::Backend {
                $backend
            }

            fn claim_lock<'a>(
                &'a self,
                holder: &'a $crate::LockHolder,
                now_ms: i64,
            ) -> $crate::StoreFuture<'a, Option<$crate::LockHolder>> {
                Box::pin(async move {
                    // The check and the claim happen with the write lock held (renewals take
                    // it too), so nobody renews between them.
                    let mut tx = self.begin_write().await?;
                    let current = sqlx::query($crate::sql::select_lock!("WHERE tenant = $1"))
                        .bind(&holder.tenant)
                        .fetch_optional(&mut *tx)
                        .await?
                        .map(|row| $crate::sql::lock_from_row(&row))
                        .transpose()?;
                    if let Some(current) = &current
                        && !current.is_expired(now_ms)
                        && !current.is_dead_here()
                    {
                        return Err($crate::StoreError::Locked(Box::new(current.clone())));
                    }
                    sqlx::query(concat!(
                        "INSERT INTO deploy_locks (", $crate::sql::lock_columns!(), ")
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                         ON CONFLICT (tenant) DO UPDATE SET
                           machine = excluded.machine,
                           owner = excluded.owner, pid = excluded.pid, host = excluded.host,
                           purpose = excluded.purpose, actor = excluded.actor,
                           acquired_ms = excluded.acquired_ms, renewed_ms = excluded.renewed_ms,
                           expires_ms = excluded.expires_ms"
                    ))
                    .bind(&holder.tenant)
                    .bind(&holder.owner)
                    .bind(i64::from(holder.pid))
                    .bind(&holder.host)
                    .bind(&holder.purpose)
                    .bind(&holder.actor)
                    .bind(holder.acquired_ms)
                    .bind(holder.renewed_ms)
                    .bind(holder.expires_ms)
                    .bind(&holder.machine)
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    Ok(current)
                })
            }

            fn renew_lock<'a>(
                &'a self,
                tenant: &'a str,
                owner: &'a str,
                now_ms: i64,
                expires_ms: i64,
            ) -> $crate::StoreFuture<'a, bool> {
                Box::pin(async move {
                    let mut tx = self.begin_write().await?;
                    let renewed = sqlx::query(
                        "UPDATE deploy_locks SET renewed_ms = $1, expires_ms = $2 WHERE tenant = $3 AND owner = $4",
                    )
                    .bind(now_ms)
                    .bind(expires_ms)
                    .bind(tenant)
                    .bind(owner)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    tx.commit().await?;
                    Ok(renewed == 1)
                })
            }

            fn release_lock<'a>(&'a self, tenant: &'a str, owner: &'a str) -> $crate::StoreFuture<'a, bool> {
                Box::pin(async move {
                    let deleted = sqlx::query("DELETE FROM deploy_locks WHERE tenant = $1 AND owner = $2")
                        .bind(tenant)
                        .bind(owner)
                        .execute(&self.pool)
                        .await?
                        .rows_affected();
                    Ok(deleted == 1)
                })
            }

            fn lock_holder<'a>(&'a self, tenant: &'a str) -> $crate::StoreFuture<'a, Option<$crate::LockHolder>> {
                Box::pin(async move {
                    sqlx::query($crate::sql::select_lock!("WHERE tenant = $1"))
                        .bind(tenant)
                        .fetch_optional(&self.pool)
                        .await?
                        .map(|row| $crate::sql::lock_from_row(&row))
                        .transpose()
                })
            }

            fn locks(&self) -> $crate::StoreFuture<'_, Vec<$crate::LockHolder>> {
                Box::pin(async move {
                    sqlx::query($crate::sql::select_lock!("ORDER BY tenant"))
                        .fetch_all(&self.pool)
                        .await?
                        .iter()
                        .map($crate::sql::lock_from_row)
                        .collect()
                })
            }

            fn begin_run<'a>(
                &'a self,
                tenant: &'a str,
                kind: &'a str,
                sprint: Option<i64>,
            ) -> $crate::StoreFuture<'a, i64> {
                Box::pin(async move {
                    use sqlx::Row;
                    let row = sqlx::query(
                        "INSERT INTO runs (tenant, kind, sprint, started_at) VALUES ($1, $2, $3, $4) RETURNING id",
                    )
                    .bind(tenant)
                    .bind(kind)
                    .bind(sprint)
                    .bind($crate::now())
                    .fetch_one(&self.pool)
                    .await?;
                    Ok(row.try_get(0)?)
                })
            }

            fn finish_run<'a>(&'a self, run_id: i64, status: &'a str) -> $crate::StoreFuture<'a, ()> {
                Box::pin(async move {
                    sqlx::query("UPDATE runs SET status = $1, finished_at = $2 WHERE id = $3")
                        .bind(status)
                        .bind($crate::now())
                        .bind(run_id)
                        .execute(&self.pool)
                        .await?;
                    Ok(())
                })
            }

            fn runs<'a>(&'a self, tenant: &'a str) -> $crate::StoreFuture<'a, Vec<$crate::Run>> {
                Box::pin(async move {
                    use sqlx::Row;
                    let rows = sqlx::query(
                        "SELECT id, kind, sprint, started_at, finished_at, status FROM runs WHERE tenant = $1 ORDER BY id",
                    )
                    .bind(tenant)
                    .fetch_all(&self.pool)
                    .await?;
                    rows.iter()
                        .map(|r| {
                            Ok($crate::Run {
                                id: r.try_get(0)?,
                                kind: r.try_get(1)?,
                                sprint: r.try_get(2)?,
                                started_at: r.try_get(3)?,
                                finished_at: r.try_get(4)?,
                                status: r.try_get(5)?,
                            })
                        })
                        .collect()
                })
            }

            fn insert_intent<'a>(
                &'a self,
                intent: &'a $crate::ChangeIntent<'a>,
                fence: Option<&'a str>,
            ) -> $crate::StoreFuture<'a, Option<i64>> {
                Box::pin(async move {
                    use sqlx::Row;
                    // The fence and the insert are one statement: the entry is written only
                    // while the lock row names the fence's owner.
                    let row = sqlx::query(
                        "INSERT INTO changes (run_id, tenant, feature, reference, op, object_id, before, started_at)
                         SELECT $1, $2, $3, $4, $5, $6, $7, $8
                         WHERE $9 IS NULL OR EXISTS (SELECT 1 FROM deploy_locks WHERE tenant = $2 AND owner = $9)
                         RETURNING id",
                    )
                    .bind(intent.run_id)
                    .bind(intent.tenant)
                    .bind(intent.feature)
                    .bind(intent.reference)
                    .bind(intent.op)
                    .bind(intent.object_id)
                    .bind(intent.before.map(serde_json::Value::to_string))
                    .bind($crate::now())
                    .bind(fence)
                    .fetch_optional(&self.pool)
                    .await?;
                    Ok(row.map(|row| row.try_get(0)).transpose()?)
                })
            }

            fn record_done<'a>(
                &'a self,
                change_id: i64,
                object: &'a $crate::ManagedObject,
                tenant: &'a str,
                after: &'a serde_json::Value,
            ) -> $crate::StoreFuture<'a, ()> {
                Box::pin(async move {
                    let mut tx = self.begin_change().await?;
                    sqlx::query(
                        "UPDATE changes SET status = 'done', object_id = $1, after = $2, finished_at = $3 WHERE id = $4",
                    )
                    .bind(&object.object_id)
                    .bind(after.to_string())
                    .bind($crate::now())
                    .bind(change_id)
                    .execute(&mut *tx)
                    .await?;
                    Self::manage_in(&mut tx, tenant, object).await?;
                    tx.commit().await?;
                    Ok(())
                })
            }

            fn record_reached<'a>(
                &'a self,
                change_id: i64,
                object: &'a $crate::ManagedObject,
                tenant: &'a str,
                after: Option<&'a serde_json::Value>,
            ) -> $crate::StoreFuture<'a, ()> {
                Box::pin(async move {
                    let mut tx = self.begin_change().await?;
                    sqlx::query(
                        "UPDATE changes SET object_id = $1, after = COALESCE($2, after) WHERE id = $3",
                    )
                    .bind(&object.object_id)
                    .bind(after.map(serde_json::Value::to_string))
                    .bind(change_id)
                    .execute(&mut *tx)
                    .await?;
                    Self::manage_in(&mut tx, tenant, object).await?;
                    tx.commit().await?;
                    Ok(())
                })
            }

            fn record_released<'a>(
                &'a self,
                change_id: i64,
                tenant: &'a str,
                reference: &'a str,
                after: Option<&'a serde_json::Value>,
                release: bool,
            ) -> $crate::StoreFuture<'a, ()> {
                Box::pin(async move {
                    let mut tx = self.begin_change().await?;
                    sqlx::query(
                        "UPDATE changes SET status = 'done', after = $1, finished_at = $2 WHERE id = $3",
                    )
                    .bind(after.map(serde_json::Value::to_string))
                    .bind($crate::now())
                    .bind(change_id)
                    .execute(&mut *tx)
                    .await?;
                    if release {
                        sqlx::query("DELETE FROM managed_objects WHERE tenant = $1 AND reference = $2")
                            .bind(tenant)
                            .bind(reference)
                            .execute(&mut *tx)
                            .await?;
                    }
                    tx.commit().await?;
                    Ok(())
                })
            }

            fn record_failed<'a>(
                &'a self,
                change_id: i64,
                detail: &'a str,
                refused: Option<&'a serde_json::Value>,
                after: Option<&'a serde_json::Value>,
            ) -> $crate::StoreFuture<'a, ()> {
                Box::pin(async move {
                    sqlx::query(
                        "UPDATE changes SET status = 'failed', detail = $1, refused = $2, finished_at = $3, after = COALESCE($4, after) WHERE id = $5",
                    )
                    .bind(detail)
                    .bind(refused.map(serde_json::Value::to_string))
                    .bind($crate::now())
                    .bind(after.map(serde_json::Value::to_string))
                    .bind(change_id)
                    .execute(&self.pool)
                    .await?;
                    Ok(())
                })
            }

            fn take_interrupted<'a>(
                &'a self,
                tenant: &'a str,
                current_run: i64,
            ) -> $crate::StoreFuture<'a, Vec<$crate::Change>> {
                Box::pin(async move {
                    let mut tx = self.begin_change().await?;
                    let rows = sqlx::query(concat!(
                        "SELECT ",
                        $crate::sql::change_columns!(),
                        " FROM changes WHERE tenant = $1 AND status = 'started' AND run_id <> $2 ORDER BY id"
                    ))
                    .bind(tenant)
                    .bind(current_run)
                    .fetch_all(&mut *tx)
                    .await?;
                    let changes = rows.iter().map($crate::sql::change_from_row).collect::<Result<Vec<_>, _>>()?;
                    sqlx::query(
                        "UPDATE changes SET status = 'interrupted', finished_at = $1
                         WHERE tenant = $2 AND status = 'started' AND run_id <> $3",
                    )
                    .bind($crate::now())
                    .bind(tenant)
                    .bind(current_run)
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query(
                        "UPDATE runs SET status = 'interrupted', finished_at = $1
                         WHERE tenant = $2 AND status = 'running' AND id <> $3",
                    )
                    .bind($crate::now())
                    .bind(tenant)
                    .bind(current_run)
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    Ok(changes)
                })
            }

            fn changes<'a>(&'a self, tenant: &'a str) -> $crate::StoreFuture<'a, Vec<$crate::Change>> {
                Box::pin(async move {
                    let rows = sqlx::query(concat!(
                        "SELECT ",
                        $crate::sql::change_columns!(),
                        " FROM changes WHERE tenant = $1 ORDER BY id"
                    ))
                    .bind(tenant)
                    .fetch_all(&self.pool)
                    .await?;
                    rows.iter().map($crate::sql::change_from_row).collect()
                })
            }

            fn let_go<'a>(&'a self, tenant: &'a str, reference: &'a str) -> $crate::StoreFuture<'a, ()> {
                Box::pin(async move {
                    let mut tx = self.begin_change().await?;
                    sqlx::query(
                        "DELETE FROM managed_objects WHERE tenant = $1 AND reference = $2 AND created_by_tool = 0",
                    )
                    .bind(tenant)
                    .bind(reference)
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    Ok(())
                })
            }

            fn rely_on<'a>(
                &'a self,
                tenant: &'a str,
                object: &'a $crate::ManagedObject,
            ) -> $crate::StoreFuture<'a, ()> {
                Box::pin(async move {
                    let mut tx = self.begin_change().await?;
                    Self::manage_in(&mut tx, tenant, object).await?;
                    tx.commit().await?;
                    Ok(())
                })
            }

            fn managed_objects<'a>(
                &'a self,
                tenant: &'a str,
            ) -> $crate::StoreFuture<'a, Vec<$crate::ManagedObject>> {
                Box::pin(async move {
                    use sqlx::Row;
                    let rows = sqlx::query(
                        "SELECT reference, kind, object_id, feature, created_by_tool FROM managed_objects
                         WHERE tenant = $1 ORDER BY reference",
                    )
                    .bind(tenant)
                    .fetch_all(&self.pool)
                    .await?;
                    rows.iter()
                        .map(|r| {
                            Ok($crate::ManagedObject {
                                reference: r.try_get(0)?,
                                kind: r.try_get(1)?,
                                object_id: r.try_get(2)?,
                                feature: r.try_get(3)?,
                                created_by_tool: r.try_get::<i64, _>(4)? != 0,
                            })
                        })
                        .collect()
                })
            }

            fn adopt_tenant_alias<'a>(
                &'a self,
                alias: &'a str,
                tenant: &'a str,
            ) -> $crate::StoreFuture<'a, u64> {
                Box::pin(async move {
                    if alias == tenant {
                        return Ok(0);
                    }
                    let mut tx = self.begin_write().await?;
                    let mut moved = 0;
                    for table in ["runs", "changes"] {
                        moved += sqlx::query(sqlx::AssertSqlSafe(format!(
                            "UPDATE {table} SET tenant = $1 WHERE tenant = $2"
                        )))
                        .bind(tenant)
                        .bind(alias)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                    }
                    sqlx::query(
                        "INSERT INTO managed_objects (tenant, reference, kind, object_id, feature, created_by_tool, updated_at)
                         SELECT $1, reference, kind, object_id, feature, created_by_tool, updated_at
                         FROM managed_objects WHERE tenant = $2
                         ON CONFLICT (tenant, reference) DO UPDATE SET
                           object_id = CASE WHEN excluded.updated_at > managed_objects.updated_at
                                            THEN excluded.object_id ELSE managed_objects.object_id END,
                           created_by_tool = CASE WHEN excluded.created_by_tool = 1
                                                  THEN 1 ELSE managed_objects.created_by_tool END,
                           updated_at = CASE WHEN excluded.updated_at > managed_objects.updated_at
                                             THEN excluded.updated_at ELSE managed_objects.updated_at END",
                    )
                    .bind(tenant)
                    .bind(alias)
                    .execute(&mut *tx)
                    .await?;
                    moved += sqlx::query("DELETE FROM managed_objects WHERE tenant = $1")
                        .bind(alias)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                    tx.commit().await?;
                    Ok(moved)
                })
            }

            fn append_events<'a>(
                &'a self,
                events: &'a [$crate::LogEvent],
            ) -> $crate::StoreFuture<'a, Vec<$crate::LogEntry>> {
                Box::pin(async move {
                    if events.is_empty() {
                        $crate::log::canonical_details(events)?;
                        return Ok(Vec::new());
                    }
                    let mut tx = self.begin_write().await?;
                    let entries = Self::append_in(&mut tx, events).await?;
                    tx.commit().await?;
                    Ok(entries)
                })
            }

            fn break_lock<'a>(
                &'a self,
                holder: &'a $crate::LockHolder,
                event: &'a $crate::LogEvent,
            ) -> $crate::StoreFuture<'a, Option<$crate::LogEntry>> {
                Box::pin(async move {
                    let mut tx = self.begin_write().await?;
                    let deleted = sqlx::query("DELETE FROM deploy_locks WHERE tenant = $1 AND owner = $2")
                        .bind(&holder.tenant)
                        .bind(&holder.owner)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                    if deleted != 1 {
                        return Ok(None);
                    }
                    let mut entries = Self::append_in(&mut tx, std::slice::from_ref(event)).await?;
                    tx.commit().await?;
                    Ok(entries.pop())
                })
            }

            fn log<'a>(
                &'a self,
                feature: Option<&'a str>,
            ) -> $crate::StoreFuture<'a, Vec<$crate::LogEntry>> {
                Box::pin(async move {
                    let rows = match feature {
                        Some(feature) => {
                            sqlx::query($crate::sql::select_log!("WHERE feature = $1 ORDER BY seq"))
                                .bind(feature)
                                .fetch_all(&self.pool)
                                .await?
                        }
                        None => {
                            sqlx::query($crate::sql::select_log!("ORDER BY seq"))
                                .fetch_all(&self.pool)
                                .await?
                        }
                    };
                    rows.iter()
                        .map(|row| {
                            use sqlx::Row;
                            let seq: i64 = row.try_get(0)?;
                            let (raw, hash) = $crate::log::raw_from_row(row)
                                .map_err(|reason| $crate::StoreError::CorruptLog { seq, reason })?;
                            raw.to_entry(hash)
                        })
                        .collect()
                })
            }

            fn verify_log(&self) -> $crate::StoreFuture<'_, Result<u64, $crate::LogBreak>> {
                Box::pin(self.verify())
            }

            fn export_log<'a>(
                &'a self,
                writer: &'a mut (dyn std::io::Write + Send),
            ) -> $crate::StoreFuture<'a, u64> {
                Box::pin(async move {
                    let mut count = 0u64;
                    let mut line = Vec::with_capacity(512);
                    self.walk_log(|seq, row| {
                        let (raw, hash) = row.map_err(|reason| $crate::StoreError::CorruptLog {
                            seq: seq.unwrap_or_default(),
                            reason,
                        })?;
                        line.clear();
                        raw.write(&mut line, Some(hash));
                        line.push(b'\n');
                        writer.write_all(&line).map_err($crate::StoreError::Export)?;
                        count += 1;
                        Ok(true)
                    })
                    .await?;
                    writer.flush().map_err($crate::StoreError::Export)?;
                    Ok(count)
                })
            }

            fn register_engagement<'a>(
                &'a self,
                engagement: &'a $crate::Engagement,
            ) -> $crate::StoreFuture<'a, ()> {
                Box::pin(async move {
                    let partners = serde_json::to_string(&engagement.partners)
                        .map_err(|e| $crate::StoreError::InvalidEvent(e.to_string()))?;
                    sqlx::query(
                        "INSERT INTO engagements (id, agency, workspace, partners, registered_at) VALUES ($1, $2, $3, $4, $5) \
                         ON CONFLICT (id) DO UPDATE SET agency = excluded.agency, workspace = excluded.workspace, partners = excluded.partners",
                    )
                    .bind(&engagement.id)
                    .bind(&engagement.agency)
                    .bind(&engagement.workspace)
                    .bind(partners)
                    .bind($crate::now())
                    .execute(&self.pool)
                    .await?;
                    Ok(())
                })
            }

            fn engagements(&self) -> $crate::StoreFuture<'_, Vec<$crate::Engagement>> {
                Box::pin(async move {
                    use sqlx::Row;
                    let rows = sqlx::query(
                        "SELECT id, agency, workspace, partners FROM engagements ORDER BY id",
                    )
                    .fetch_all(&self.pool)
                    .await?;
                    rows.iter()
                        .map(|r| {
                            let partners: String = r.try_get(3)?;
                            Ok($crate::Engagement {
                                id: r.try_get(0)?,
                                agency: r.try_get(1)?,
                                workspace: r.try_get(2)?,
                                partners: serde_json::from_str(&partners).unwrap_or_default(),
                            })
                        })
                        .collect()
                })
            }

            fn enqueue_job<'a>(
                &'a self,
                job: &'a $crate::NewJob<'a>,
                unless_since_ms: Option<i64>,
            ) -> $crate::StoreFuture<'a, Option<$crate::Job>> {
                Box::pin(async move {
                    // The write lock makes the check and the insert one step for every server.
                    let mut tx = self.begin_write().await?;
                    let row = sqlx::query(concat!(
                        "INSERT INTO jobs (engagement, kind, request, actor, role, status, created_at, created_ms)
                         SELECT $1, $2, $3, $4, $5, 'queued', $6, $7
                         WHERE $8 IS NULL OR NOT EXISTS (
                           SELECT 1 FROM jobs WHERE engagement = $1 AND kind = $2 AND created_ms >= $8)
                         RETURNING ",
                        $crate::jobs::job_columns!()
                    ))
                    .bind(job.engagement)
                    .bind(job.kind)
                    .bind(job.request.to_string())
                    .bind(job.actor)
                    .bind(job.role.as_str())
                    .bind($crate::now())
                    .bind($crate::jobs::now_ms())
                    .bind(unless_since_ms)
                    .fetch_optional(&mut *tx)
                    .await?;
                    let job = row.map(|r| $crate::jobs::job_from_row(&r)).transpose()?;
                    tx.commit().await?;
                    Ok(job)
                })
            }

            fn claim_job<'a>(
                &'a self,
                runner: &'a str,
                lease_until_ms: i64,
            ) -> $crate::StoreFuture<'a, Option<$crate::Job>> {
                Box::pin(async move {
                    use sqlx::Row;
                    let mut tx = self.begin_claim().await?;
                    let pick = format!(
                        "SELECT id, engagement FROM jobs j WHERE status = 'queued'
                           AND NOT EXISTS (SELECT 1 FROM jobs r WHERE r.engagement = j.engagement AND r.status = 'running')
                         ORDER BY id LIMIT 1{}",
                        Self::SKIP_LOCKED
                    );
                    let Some(row) = sqlx::query(sqlx::AssertSqlSafe(pick))
                        .fetch_optional(&mut *tx)
                        .await?
                    else {
                        return Ok(None);
                    };
                    let id: i64 = row.try_get(0)?;
                    let engagement: String = row.try_get(1)?;
                    if let Some(lock) = Self::ENGAGEMENT_CLAIM_LOCK {
                        sqlx::query(lock)
                            .bind(&engagement)
                            .execute(&mut *tx)
                            .await?;
                        // A new statement sees what committed while this one waited.
                        let running = sqlx::query(
                            "SELECT 1 FROM jobs WHERE engagement = $1 AND status = 'running' LIMIT 1",
                        )
                        .bind(&engagement)
                        .fetch_optional(&mut *tx)
                        .await?;
                        if running.is_some() {
                            // Now, not on drop: the picked row stays locked until then.
                            tx.rollback().await?;
                            return Ok(None);
                        }
                    }
                    let row = sqlx::query(concat!(
                        "UPDATE jobs SET status = 'running', runner = $1, started_at = $2, lease_ms = $3
                         WHERE id = $4 AND status = 'queued' RETURNING ",
                        $crate::jobs::job_columns!()
                    ))
                    .bind(runner)
                    .bind($crate::now())
                    .bind(lease_until_ms)
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
                    let job = row.map(|r| $crate::jobs::job_from_row(&r)).transpose()?;
                    tx.commit().await?;
                    Ok(job)
                })
            }

            fn renew_job<'a>(
                &'a self,
                id: i64,
                runner: &'a str,
                lease_until_ms: i64,
            ) -> $crate::StoreFuture<'a, bool> {
                Box::pin(async move {
                    let renewed = sqlx::query(
                        "UPDATE jobs SET lease_ms = $1 WHERE id = $2 AND runner = $3 AND status = 'running'",
                    )
                    .bind(lease_until_ms)
                    .bind(id)
                    .bind(runner)
                    .execute(&self.pool)
                    .await?
                    .rows_affected();
                    Ok(renewed == 1)
                })
            }

            fn finish_job<'a>(
                &'a self,
                id: i64,
                runner: &'a str,
                status: $crate::JobStatus,
                result: Option<&'a serde_json::Value>,
            ) -> $crate::StoreFuture<'a, bool> {
                Box::pin(async move {
                    let requeue = status == $crate::JobStatus::Queued;
                    let finished = sqlx::query(
                        "UPDATE jobs SET status = $1, result = $2,
                           finished_at = CASE WHEN $3 = 1 THEN NULL ELSE $4 END,
                           runner = CASE WHEN $3 = 1 THEN NULL ELSE runner END,
                           started_at = CASE WHEN $3 = 1 THEN NULL ELSE started_at END,
                           lease_ms = NULL
                         WHERE id = $5 AND runner = $6 AND status = 'running'",
                    )
                    .bind(status.as_str())
                    .bind(result.map(serde_json::Value::to_string))
                    .bind(requeue as i64)
                    .bind($crate::now())
                    .bind(id)
                    .bind(runner)
                    .execute(&self.pool)
                    .await?
                    .rows_affected();
                    Ok(finished == 1)
                })
            }

            fn interrupt_lapsed_jobs(&self, now_ms: i64) -> $crate::StoreFuture<'_, Vec<i64>> {
                Box::pin(async move {
                    use sqlx::Row;
                    let mut tx = self.begin_write().await?;
                    let event = serde_json::json!({
                        "event": "interrupted",
                        "message": "the server running this job stopped before it finished; start it again (a deploy resumes from its journal)",
                    });
                    sqlx::query(
                        "INSERT INTO job_events (job_id, time, event)
                         SELECT id, $1, $2 FROM jobs WHERE status = 'running' AND lease_ms < $3 ORDER BY id",
                    )
                    .bind($crate::now())
                    .bind(event.to_string())
                    .bind(now_ms)
                    .execute(&mut *tx)
                    .await?;
                    let rows = sqlx::query(
                        "UPDATE jobs SET status = 'interrupted', finished_at = $1, lease_ms = NULL
                         WHERE status = 'running' AND lease_ms < $2 RETURNING id",
                    )
                    .bind($crate::now())
                    .bind(now_ms)
                    .fetch_all(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    let mut ids = rows
                        .iter()
                        .map(|r| r.try_get(0))
                        .collect::<Result<Vec<i64>, _>>()?;
                    ids.sort_unstable();
                    Ok(ids)
                })
            }

            fn append_job_events<'a>(
                &'a self,
                job_id: i64,
                events: &'a [serde_json::Value],
            ) -> $crate::StoreFuture<'a, ()> {
                Box::pin(async move {
                    if events.is_empty() {
                        return Ok(());
                    }
                    let time = $crate::now();
                    let mut insert = sqlx::QueryBuilder::new("INSERT INTO job_events (job_id, time, event) ");
                    insert.push_values(events, |mut row, event| {
                        row.push_bind(job_id)
                            .push_bind(time.as_str())
                            .push_bind(event.to_string());
                    });
                    insert.build().execute(&self.pool).await?;
                    Ok(())
                })
            }

            fn job_events(&self, job_id: i64, after: i64) -> $crate::StoreFuture<'_, Vec<$crate::JobEvent>> {
                Box::pin(async move {
                    use sqlx::Row;
                    let rows = sqlx::query(
                        "SELECT id, job_id, time, event FROM job_events WHERE job_id = $1 AND id > $2 ORDER BY id",
                    )
                    .bind(job_id)
                    .bind(after)
                    .fetch_all(&self.pool)
                    .await?;
                    rows.iter()
                        .map(|r| {
                            let event: String = r.try_get(3)?;
                            Ok($crate::JobEvent {
                                id: r.try_get(0)?,
                                job_id: r.try_get(1)?,
                                time: r.try_get(2)?,
                                event: serde_json::from_str(&event).unwrap_or(serde_json::Value::String(event)),
                            })
                        })
                        .collect()
                })
            }

            fn job(&self, id: i64) -> $crate::StoreFuture<'_, Option<$crate::Job>> {
                Box::pin(async move {
                    sqlx::query(concat!("SELECT ", $crate::jobs::job_columns!(), " FROM jobs WHERE id = $1"))
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await?
                        .map(|r| $crate::jobs::job_from_row(&r))
                        .transpose()
                })
            }

            fn jobs<'a>(&'a self, engagement: &'a str, limit: i64) -> $crate::StoreFuture<'a, Vec<$crate::Job>> {
                Box::pin(async move {
                    sqlx::query(concat!(
                        "SELECT ",
                        $crate::jobs::job_columns!(),
                        " FROM jobs WHERE engagement = $1 ORDER BY id DESC LIMIT $2"
                    ))
                    .bind(engagement)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map($crate::jobs::job_from_row)
                    .collect()
                })
            }

            fn close(&self) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>> {
                Box::pin(self.pool.close())
            }
        }

    };
}
pub(crate) use impl_state_store;

/// A `changes` row ([`change_columns`] order) as a [`crate::Change`].
pub(crate) fn change_from_row<R>(r: &R) -> Result<crate::Change, crate::StoreError>
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let json = |i: usize| -> Result<Option<serde_json::Value>, crate::StoreError> {
        Ok(r.try_get::<Option<String>, _>(i)?
            .and_then(|s| serde_json::from_str(&s).ok()))
    };
    Ok(crate::Change {
        id: r.try_get(0)?,
        run_id: r.try_get(1)?,
        feature: r.try_get(2)?,
        reference: r.try_get(3)?,
        op: r.try_get(4)?,
        object_id: r.try_get(5)?,
        before: json(6)?,
        after: json(7)?,
        status: r.try_get(8)?,
        detail: r.try_get(9)?,
        refused: json(10)?,
    })
}

/// A `deploy_locks` row ([`lock_columns`] order) as a [`crate::LockHolder`].
pub(crate) fn lock_from_row<R>(r: &R) -> Result<crate::LockHolder, crate::StoreError>
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok(crate::LockHolder {
        tenant: r.try_get(0)?,
        owner: r.try_get(1)?,
        pid: u32::try_from(r.try_get::<i64, _>(2)?).unwrap_or_default(),
        host: r.try_get(3)?,
        purpose: r.try_get(4)?,
        actor: r.try_get(5)?,
        acquired_ms: r.try_get(6)?,
        renewed_ms: r.try_get(7)?,
        expires_ms: r.try_get(8)?,
        machine: r.try_get(9)?,
    })
}
