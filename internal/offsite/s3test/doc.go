// Package s3test gives the offsite suites an S3-compatible endpoint, in
// this order:
//
//  1. the one the ENSPACE_TEST_S3_* variables name (.ci/run exports them
//     for the SeaweedFS server it starts; a developer can point them at
//     MinIO, AWS or anything else that speaks S3, see docs/testing.md);
//  2. otherwise a SeaweedFS server of its own, when the weed binary that
//     .ci/run caches is on this machine (ENSPACE_TEST_WEED names another
//     one): started for the test, on free loopback ports, with fresh
//     credentials and a bucket, and stopped when the test ends;
//  3. otherwise the test skips, or fails when ENSPACE_REQUIRE_S3=1 (as in
//     CI), so a missing server can never pass for a green suite.
//
// Every test gets its own prefix in the bucket (Prefix), so suites can
// share one server and one bucket, at once and run after run.
//
// The server is a real S3 implementation on purpose: signatures, paging of
// listings, conditional requests and error bodies are what a fake gets
// wrong. Starting weed takes 4 to 5 s here (bucket included), stopping it
// 2 s; building it (.ci/s3server.sh) took 12 minutes on 2 cores at a load of
// 5, which is why it is cached.
//
// Caveats: the variables' secret is handed to the code under test through
// files (CredentialFiles), as a user would; a test must not print it.
// DataDir is known only for the server this package or .ci/run started;
// against another endpoint, a test that reads the bucket's raw bytes must
// download the objects instead. It is a test helper: it imports testing.
package s3test
