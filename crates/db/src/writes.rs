//! Writes a transaction sends together: statements whose results nobody reads (counters,
//! events, notifications) are gathered and sent at the end as one request where the database
//! allows it.
//!
//! On SQLite every statement is a round trip to the connection's own thread and back, and the
//! task that waits for it is woken behind whatever else is running: under load that hand-off,
//! not the statement, is most of a statement's time. SQLite runs several statements given as
//! one text, binding the values of each in turn, so the gathered writes cost one hand-off.
//! PostgreSQL does not prepare several statements as one, so there they are sent one after
//! another, as before.

use sea_orm::{ConnectionTrait, DbBackend, DbErr, QueryTrait, Statement, Values};

/// Statements to run later, in the order they were added.
#[derive(Debug)]
pub struct Writes {
    backend: DbBackend,
    statements: Vec<Statement>,
}

impl Writes {
    /// Writes for the database `db` talks to.
    pub fn for_connection<C: ConnectionTrait>(db: &C) -> Writes {
        Writes {
            backend: db.get_database_backend(),
            statements: Vec::new(),
        }
    }

    /// Adds a statement, built for this database.
    pub fn push<Q: QueryTrait>(&mut self, query: &Q) {
        self.statements.push(query.build(self.backend));
    }

    /// Runs the statements, in order, on `db` (the transaction they belong to).
    pub async fn run<C: ConnectionTrait>(self, db: &C) -> Result<(), DbErr> {
        if self.backend != DbBackend::Sqlite || self.statements.len() < 2 {
            for statement in self.statements {
                db.execute_raw(statement).await?;
            }
            return Ok(());
        }
        let mut sql = String::new();
        let mut values = Vec::new();
        for statement in self.statements {
            sql.push_str(&statement.sql);
            // Every statement is ended, so none can run into the next.
            sql.push_str(";\n");
            values.extend(statement.values.map(|Values(v)| v).unwrap_or_default());
        }
        db.execute_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            sql,
            values,
        ))
        .await?;
        Ok(())
    }
}
