// Package ledger is poisonguard's tamper-evident provenance log: an
// append-only Merkle tree (RFC 6962 leaf and node hashing) of typed JSON
// records — dataset snapshots, training runs (SLSA Provenance v1), model
// signatures, deploys and incidents — with signed checkpoints in the C2SP
// tlog-checkpoint format (Ed25519 signed notes) and inclusion and
// consistency proofs that verify offline, with no database.
//
// Entries and the tree's stored hashes (the layout of golang.org/x/mod's
// sumdb/tlog) live in the store's database; each append is one
// transaction under the store's write lock, so concurrent appends from
// several processes never lose or duplicate an entry, and a process
// killed mid-append leaves the log as it was. [Log.Audit] recomputes the
// whole tree from the stored entries and names the first index that was
// changed, dropped, reordered or inserted.
package ledger
