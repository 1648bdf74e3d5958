//! The two migration folders describe one schema, compared in full without a database: each
//! folder's statements are parsed (sqlparser) and replayed into a model of the tables,
//! columns, types, nullability, defaults, keys, CHECKs, foreign keys and indexes they leave,
//! and the two models must agree once each dialect's spelling is mapped to one.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use sqlparser::ast::{
    AlterTableOperation, ColumnDef, ColumnOption, CreateIndex, CreateTable, Expr, ObjectName,
    ObjectType, RenameTableNameKind, Statement, TableConstraint,
};
use sqlparser::dialect::{Dialect, PostgreSqlDialect, SQLiteDialect};
use sqlparser::parser::Parser;

/// Which folder a schema was read from.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Folder {
    Sqlite,
    Postgres,
}

/// A column as both dialects can state it.
#[derive(Clone, Debug, PartialEq)]
struct Column {
    /// The type, in SQLite's spelling.
    ty: String,
    not_null: bool,
    default: Option<String>,
}

/// A constraint and, on PostgreSQL, the name `DROP CONSTRAINT` finds it by.
#[derive(Clone, Debug)]
struct Constraint {
    name: Option<String>,
    text: String,
}

#[derive(Clone, Debug, Default)]
struct Table {
    columns: BTreeMap<String, Column>,
    constraints: Vec<Constraint>,
}

#[derive(Clone, Debug, PartialEq)]
struct Index {
    table: String,
    text: String,
}

#[derive(Debug, Default)]
struct Schema {
    tables: BTreeMap<String, Table>,
    indexes: BTreeMap<String, Index>,
}

fn name_of(name: &ObjectName) -> String {
    name.to_string().trim_matches('"').to_lowercase()
}

/// An expression as text both dialects write alike: one spelling of booleans, no casts to
/// text, single spaces.
fn expression(expr: &Expr) -> String {
    let text = expr.to_string();
    let text = text.replace("::TEXT", "").replace("::text", "");
    let words: Vec<String> = text
        .split_whitespace()
        .map(|w| match w.to_ascii_uppercase().as_str() {
            "TRUE" => "1".to_owned(),
            "FALSE" => "0".to_owned(),
            _ => w.to_owned(),
        })
        .collect();
    words.join(" ")
}

/// A declared type in SQLite's spelling: what each PostgreSQL type is stored as there.
fn sqlite_type(folder: Folder, declared: &str) -> String {
    let declared = declared.to_ascii_uppercase();
    let mapped = match (folder, declared.as_str()) {
        (_, "INT" | "INTEGER" | "BIGINT" | "SMALLINT") => "INTEGER",
        (Folder::Postgres, "UUID" | "BYTEA") => "BLOB",
        (Folder::Postgres, "TIMESTAMPTZ" | "TIMESTAMP WITH TIME ZONE" | "DATE" | "JSONB") => "TEXT",
        (Folder::Postgres, "DOUBLE PRECISION" | "DOUBLE" | "FLOAT8") => "REAL",
        _ => return declared,
    };
    mapped.to_owned()
}

fn columns_text(columns: impl IntoIterator<Item = String>) -> String {
    columns.into_iter().collect::<Vec<_>>().join(", ")
}

impl Schema {
    fn table(&mut self, name: &str) -> &mut Table {
        self.tables
            .get_mut(name)
            .unwrap_or_else(|| panic!("no table {name}"))
    }

    /// A column and the constraints written on it.
    fn add_column(&mut self, folder: Folder, table: &str, column: &ColumnDef) {
        let name = column.name.value.to_lowercase();
        let mut def = Column {
            ty: sqlite_type(folder, &column.data_type.to_string()),
            not_null: false,
            default: None,
        };
        let mut constraints = Vec::new();
        for option in &column.options {
            let given = option.name.as_ref().map(|n| n.value.to_lowercase());
            match &option.option {
                ColumnOption::Null => {}
                ColumnOption::NotNull => def.not_null = true,
                ColumnOption::Default(expr) => def.default = Some(expression(expr)),
                ColumnOption::PrimaryKey(_) => {
                    def.not_null = true;
                    constraints.push(Constraint {
                        name: given,
                        text: format!("PRIMARY KEY ({name})"),
                    });
                }
                ColumnOption::Unique(_) => constraints.push(Constraint {
                    name: given.or_else(|| Some(format!("{table}_{name}_key"))),
                    text: format!("UNIQUE ({name})"),
                }),
                ColumnOption::ForeignKey(fk) => constraints.push(Constraint {
                    name: given.or_else(|| Some(format!("{table}_{name}_fkey"))),
                    text: foreign_key(
                        std::slice::from_ref(&name),
                        &fk.foreign_table,
                        &fk.referred_columns,
                        &fk.on_delete,
                        &fk.on_update,
                    ),
                }),
                ColumnOption::Check(check) => constraints.push(Constraint {
                    name: given.or_else(|| Some(format!("{table}_{name}_check"))),
                    text: format!("CHECK ({})", expression(&check.expr)),
                }),
                other => {
                    panic!("{table}.{name}: a column option the comparison does not know: {other}")
                }
            }
        }
        let table = self.table(table);
        assert!(
            table.columns.insert(name.clone(), def).is_none(),
            "column {name} added twice"
        );
        table.constraints.extend(constraints);
    }

    fn add_constraint(&mut self, table: &str, constraint: &TableConstraint) {
        let idents = |columns: &[sqlparser::ast::IndexColumn]| {
            columns_text(
                columns
                    .iter()
                    .map(|c| expression(&c.column.expr).to_lowercase()),
            )
        };
        let (name, text) = match constraint {
            TableConstraint::PrimaryKey(pk) => {
                let columns: Vec<String> = pk
                    .columns
                    .iter()
                    .map(|c| expression(&c.column.expr).to_lowercase())
                    .collect();
                for column in &columns {
                    if let Some(c) = self.table(table).columns.get_mut(column) {
                        c.not_null = true;
                    }
                }
                (
                    pk.name.as_ref(),
                    format!("PRIMARY KEY ({})", columns_text(columns)),
                )
            }
            TableConstraint::Unique(unique) => (
                unique.name.as_ref(),
                format!("UNIQUE ({})", idents(&unique.columns)),
            ),
            TableConstraint::ForeignKey(fk) => {
                let columns: Vec<String> =
                    fk.columns.iter().map(|c| c.value.to_lowercase()).collect();
                let text = foreign_key(
                    &columns,
                    &fk.foreign_table,
                    &fk.referred_columns,
                    &fk.on_delete,
                    &fk.on_update,
                );
                (fk.name.as_ref(), text)
            }
            TableConstraint::Check(check) => (
                check.name.as_ref(),
                format!("CHECK ({})", expression(&check.expr)),
            ),
            other => panic!("{table}: a table constraint the comparison does not know: {other}"),
        };
        let name = name.map(|n| n.value.to_lowercase());
        self.table(table)
            .constraints
            .push(Constraint { name, text });
    }

    fn apply(&mut self, folder: Folder, statement: &Statement) {
        match statement {
            Statement::CreateTable(CreateTable {
                name,
                columns,
                constraints,
                ..
            }) => {
                let table = name_of(name);
                assert!(
                    self.tables
                        .insert(table.clone(), Table::default())
                        .is_none(),
                    "table {table} created twice"
                );
                for column in columns {
                    self.add_column(folder, &table, column);
                }
                for constraint in constraints {
                    self.add_constraint(&table, constraint);
                }
            }
            Statement::CreateIndex(CreateIndex {
                name,
                table_name,
                columns,
                unique,
                predicate,
                ..
            }) => {
                let name = name_of(name.as_ref().expect("every index is named"));
                let table = name_of(table_name);
                assert!(
                    self.tables.contains_key(&table),
                    "index {name} on no table {table}"
                );
                let columns = columns_text(columns.iter().map(|c| index_column(folder, c)));
                let mut text = format!("{}({columns})", if *unique { "UNIQUE " } else { "" });
                if let Some(predicate) = predicate {
                    text.push_str(&format!(" WHERE {}", expression(predicate)));
                }
                assert!(
                    self.indexes
                        .insert(name.clone(), Index { table, text })
                        .is_none(),
                    "index {name} created twice"
                );
            }
            Statement::AlterTable(alter) => {
                let table = name_of(&alter.name);
                for operation in &alter.operations {
                    self.alter(folder, &table, operation);
                }
            }
            Statement::Drop {
                object_type,
                names,
                if_exists,
                ..
            } => {
                for name in names.iter().map(name_of) {
                    let found = match object_type {
                        ObjectType::Table => {
                            self.indexes.retain(|_, index| index.table != name);
                            self.tables.remove(&name).is_some()
                        }
                        ObjectType::Index => self.indexes.remove(&name).is_some(),
                        other => panic!("DROP {other} is not compared"),
                    };
                    assert!(found || *if_exists, "DROP of {name}, which does not exist");
                }
            }
            // Data changes and queries leave the schema as it is.
            Statement::Insert(_)
            | Statement::Update { .. }
            | Statement::Delete(_)
            | Statement::Query(_) => {}
            other => panic!("a statement the comparison does not know: {other}"),
        }
    }

    fn alter(&mut self, folder: Folder, table: &str, operation: &AlterTableOperation) {
        match operation {
            AlterTableOperation::AddColumn { column_def, .. } => {
                self.add_column(folder, table, column_def)
            }
            AlterTableOperation::AddConstraint { constraint, .. } => {
                self.add_constraint(table, constraint)
            }
            AlterTableOperation::DropConstraint { name, .. } => {
                let name = name.value.to_lowercase();
                let constraints = &mut self.table(table).constraints;
                let before = constraints.len();
                constraints.retain(|c| c.name.as_deref() != Some(name.as_str()));
                assert_eq!(
                    constraints.len() + 1,
                    before,
                    "DROP CONSTRAINT {name} on {table} matches no one constraint"
                );
            }
            AlterTableOperation::RenameTable { table_name } => {
                let (RenameTableNameKind::To(to) | RenameTableNameKind::As(to)) = table_name;
                let to = name_of(to);
                let moved = self.tables.remove(table).expect("the renamed table");
                self.tables.insert(to.clone(), moved);
                for index in self.indexes.values_mut().filter(|i| i.table == table) {
                    index.table = to.clone();
                }
                // Both databases follow a renamed table in the foreign keys that name it.
                let from = format!("REFERENCES {table}(");
                let into = format!("REFERENCES {to}(");
                for other in self.tables.values_mut() {
                    for constraint in &mut other.constraints {
                        constraint.text = constraint.text.replace(&from, &into);
                    }
                }
            }
            other => panic!("ALTER TABLE {table} {other} is not compared"),
        }
    }

    /// The schema as lines to compare: one per column, constraint and index.
    fn lines(&self) -> BTreeSet<String> {
        let mut lines = BTreeSet::new();
        for (name, table) in &self.tables {
            lines.insert(format!("table {name}"));
            for (column, def) in &table.columns {
                lines.insert(format!(
                    "column {name}.{column} {}{}{}",
                    def.ty,
                    if def.not_null { " NOT NULL" } else { "" },
                    def.default
                        .as_ref()
                        .map(|d| format!(" DEFAULT {d}"))
                        .unwrap_or_default()
                ));
            }
            for constraint in &table.constraints {
                lines.insert(format!("constraint {name} {}", constraint.text));
            }
        }
        for (name, index) in &self.indexes {
            lines.insert(format!("index {name} ON {} {}", index.table, index.text));
        }
        lines
    }
}

/// An index column as text. SQLite compares text byte by byte unless told otherwise, which
/// PostgreSQL does only with `COLLATE "C"`: the two spellings of one order are one.
fn index_column(folder: Folder, column: &sqlparser::ast::IndexColumn) -> String {
    let text = column.to_string().to_lowercase();
    if folder == Folder::Postgres {
        if let Some(expr) = text.strip_suffix(" collate \"c\"") {
            let bare = expr.strip_prefix('(').and_then(|e| e.strip_suffix(')'));
            return bare.unwrap_or(expr).to_owned();
        }
    }
    text
}

fn foreign_key(
    columns: &[String],
    table: &ObjectName,
    referred: &[sqlparser::ast::Ident],
    on_delete: &Option<sqlparser::ast::ReferentialAction>,
    on_update: &Option<sqlparser::ast::ReferentialAction>,
) -> String {
    let referred = columns_text(referred.iter().map(|c| c.value.to_lowercase()));
    let mut text = format!(
        "FOREIGN KEY ({}) REFERENCES {}({referred})",
        columns_text(columns.iter().cloned()),
        name_of(table)
    );
    if let Some(action) = on_delete {
        text.push_str(&format!(" ON DELETE {action}"));
    }
    if let Some(action) = on_update {
        text.push_str(&format!(" ON UPDATE {action}"));
    }
    text
}

/// Replays one folder's migrations in version order.
fn replay(folder: Folder) -> (Schema, Vec<String>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(match folder {
            Folder::Sqlite => "sqlite",
            Folder::Postgres => "postgres",
        });
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("the migrations folder")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .collect();
    files.sort();
    let dialect: Box<dyn Dialect> = match folder {
        Folder::Sqlite => Box::new(SQLiteDialect {}),
        Folder::Postgres => Box::new(PostgreSqlDialect {}),
    };
    let mut schema = Schema::default();
    let mut names = Vec::new();
    for file in files {
        let sql = std::fs::read_to_string(&file).expect("a migration");
        let statements = Parser::parse_sql(dialect.as_ref(), &sql)
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        for statement in &statements {
            schema.apply(folder, statement);
        }
        names.push(
            file.file_name()
                .expect("a name")
                .to_string_lossy()
                .into_owned(),
        );
    }
    (schema, names)
}

#[test]
fn both_migration_folders_leave_the_same_tables_columns_types_keys_checks_and_indexes() {
    let (sqlite, sqlite_files) = replay(Folder::Sqlite);
    let (postgres, postgres_files) = replay(Folder::Postgres);
    assert_eq!(
        sqlite_files, postgres_files,
        "the two folders hold different migrations"
    );
    let (sqlite, postgres) = (sqlite.lines(), postgres.lines());
    assert!(
        sqlite.iter().any(|l| l.starts_with("index ")),
        "no index was read: {sqlite:?}"
    );
    assert!(
        sqlite.iter().any(|l| l.contains("CHECK (")),
        "no CHECK was read"
    );
    assert!(
        sqlite.iter().any(|l| l.contains("FOREIGN KEY")),
        "no foreign key was read"
    );
    let only_sqlite: Vec<&String> = sqlite.difference(&postgres).collect();
    let only_postgres: Vec<&String> = postgres.difference(&sqlite).collect();
    assert!(
        only_sqlite.is_empty() && only_postgres.is_empty(),
        "the schemas differ\nonly on SQLite:\n  {}\nonly on PostgreSQL:\n  {}",
        only_sqlite
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n  "),
        only_postgres
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n  ")
    );
}

#[test]
fn the_comparison_notices_a_missing_index_check_or_foreign_key() {
    let (base, _) = replay(Folder::Postgres);
    let lines = base.lines();
    let parse = |sql: &str| Parser::parse_sql(&PostgreSqlDialect {}, sql).expect("sql");
    for change in [
        "DROP INDEX accounts_by_sort_name",
        "ALTER TABLE accounts DROP CONSTRAINT accounts_population_check",
        "ALTER TABLE accounts ADD CONSTRAINT extra FOREIGN KEY (import_id) REFERENCES account_imports(id)",
        "ALTER TABLE accounts ADD COLUMN stray TEXT",
    ] {
        let (mut changed, _) = replay(Folder::Postgres);
        for statement in parse(change) {
            changed.apply(Folder::Postgres, &statement);
        }
        assert_ne!(changed.lines(), lines, "{change} went unnoticed");
    }
}
