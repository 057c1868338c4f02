// Package registry keeps model versions: immutable, signed, stored
// content-addressed, promoted through stages, and checked at deploy time.
//
// A push is accepted only when the model's OMS signature verifies against
// a trusted key; its version number is assigned once and never reused, its
// files go to the blob store, and a model record goes to the ledger in the
// same transaction. Promotions and rollbacks are deploy records in the
// ledger; nothing is deleted. VerifyDeploy is the check an init container
// or admission hook runs: the signature verifies, the digest is the
// version currently in the stage, and the version's ledger entry has an
// inclusion proof that verifies against the log's signed checkpoint. Audit
// compares what runs in each environment with the registry.
package registry
