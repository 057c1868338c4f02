// Package sign signs and verifies model directories in the OpenSSF Model
// Signing (OMS) v1.0 format, so that signatures interoperate with the
// reference model_signing tool and with Kubernetes admission verifiers.
//
// A model — a directory or a single file — is serialised into a [Manifest]:
// one resource per file (or per shard of a file) with its digest, hashed in
// parallel. The manifest becomes an in-toto Statement v1 with the predicate
// https://model_signing/signature/v1.0 whose single subject digest is the
// SHA-256 of the concatenated raw resource digests. The statement is signed
// as a DSSE envelope (signature over the pre-authentication encoding) and
// wrapped in a Sigstore bundle v0.3, the file conventionally called
// model.sig.
//
// [Sign] makes a bundle with an ECDSA key (optionally with its certificate
// chain); [Verify] checks a bundle against a trusted public key or trusted
// root certificates, then re-hashes the model and reports every changed,
// missing or unsigned file. Paths are canonical relative POSIX names; files
// are opened through an [os.Root], so nothing outside the model root is ever
// read, and symbolic links are refused unless allowed.
package sign
