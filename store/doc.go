// Package store is poisonguard's persistence: a SQL database — SQLite (a
// pure-Go driver, the embedded default) or PostgreSQL, with the same
// behaviour — and a content-addressed directory of blobs.
//
// Packages that keep state (ledger, registry) own their tables: they hand
// their schema migrations to [DB.Migrate] and run their statements through
// [DB.Tx], written once with "?" placeholders that the PostgreSQL dialect
// rewrites. [DB.Tx] serialises writers across processes (BEGIN IMMEDIATE
// on SQLite, an advisory lock on PostgreSQL), so concurrent appends from
// several processes never interleave.
package store
