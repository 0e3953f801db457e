// tlogcheck checks a directory written by tests/tool_tlog (libdenpo) with
// independent implementations: golang.org/x/mod/sumdb/note (Ed25519
// signed notes), golang.org/x/mod/sumdb/tlog (RFC 6962 hashes, inclusion
// and consistency proofs) and, for Ed25519 cosignature/v1
// (c2sp.org/tlog-cosignature), a verifier written here on crypto/ed25519.
// It also parses c2sp.org/tlog-proof@v1 files itself.
//
// Build (Debian's Go 1.19 + golang-golang-x-mod-dev):
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o tlogcheck .
//
// Usage: tlogcheck DIR, or tlogcheck -cosig LOGVKEY COSIGNERVKEY NOTEFILE.  Prints "FAIL ..." for each failed check and ends
// with "tlogcheck: N passed, N failed"; exits 1 if anything failed.
package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

var pass, fail int

func check(ok bool, format string, args ...interface{}) {
	if ok {
		pass++
		return
	}
	fail++
	fmt.Printf("FAIL "+format+"\n", args...)
}

func read(dir, name string) []byte {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		fmt.Printf("FAIL read %s: %v\n", name, err)
		fail++
		return nil
	}
	return b
}

func b64hash(s string) (tlog.Hash, bool) {
	var h tlog.Hash
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != len(h) {
		return h, false
	}
	copy(h[:], b)
	return h, true
}

// checkpoint is the first three lines of a checkpoint's note text.
type checkpoint struct {
	origin string
	size   int64
	root   tlog.Hash
}

func parseCheckpoint(text string) (checkpoint, bool) {
	var c checkpoint
	lines := strings.SplitN(text, "\n", 4)
	if len(lines) < 4 {
		return c, false
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	root, ok := b64hash(lines[2])
	if err != nil || !ok || size < 0 || lines[0] == "" {
		return c, false
	}
	return checkpoint{lines[0], size, root}, true
}

// cosigner is an Ed25519 cosignature/v1 key from its vkey.
type cosigner struct {
	name string
	id   uint32
	pub  ed25519.PublicKey
}

func parseCosigner(vkey string) (cosigner, error) {
	parts := strings.SplitN(strings.TrimSpace(vkey), "+", 3)
	if len(parts) != 3 || len(parts[1]) != 8 {
		return cosigner{}, fmt.Errorf("malformed vkey")
	}
	id, err := strconv.ParseUint(parts[1], 16, 32)
	if err != nil {
		return cosigner{}, err
	}
	key, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(key) != 33 || key[0] != 0x04 {
		return cosigner{}, fmt.Errorf("not an Ed25519 cosignature key")
	}
	// key ID = SHA-256(name || "\n" || 0x04 || pub)[:4]
	h := sha256.Sum256(append([]byte(parts[0]+"\n"), key...))
	if binary.BigEndian.Uint32(h[:4]) != uint32(id) {
		return cosigner{}, fmt.Errorf("key id does not match the key")
	}
	return cosigner{parts[0], uint32(id), ed25519.PublicKey(key[1:])}, nil
}

// verifyCosig checks the cosigner's line among a note's unverified
// signatures: 8-byte big-endian timestamp || Ed25519 signature over
// "cosignature/v1\ntime <ts>\n" || text.
func verifyCosig(c cosigner, n *note.Note) (uint64, bool) {
	found := false
	var ts uint64
	for _, s := range n.UnverifiedSigs {
		if s.Name != c.name || s.Hash != c.id {
			continue
		}
		sig, err := base64.StdEncoding.DecodeString(s.Base64)
		if err != nil || len(sig) != 4+8+ed25519.SignatureSize {
			return 0, false
		}
		ts = binary.BigEndian.Uint64(sig[4:12])
		if ts == 0 || ts >= 1<<63 {
			return 0, false
		}
		msg := fmt.Sprintf("cosignature/v1\ntime %d\n%s", ts, n.Text)
		if !ed25519.Verify(c.pub, []byte(msg), sig[12:]) {
			return 0, false
		}
		found = true
	}
	return ts, found
}

type hashStore []tlog.Hash

func (s *hashStore) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		if x < 0 || x >= int64(len(*s)) {
			return nil, fmt.Errorf("no stored hash %d", x)
		}
		out[i] = (*s)[x]
	}
	return out, nil
}

// proofLine is "<a> <b> <base64 hash>...".
func proofLine(line string) (int64, int64, []tlog.Hash, bool) {
	f := strings.Fields(line)
	if len(f) < 2 {
		return 0, 0, nil, false
	}
	a, e1 := strconv.ParseInt(f[0], 10, 64)
	b, e2 := strconv.ParseInt(f[1], 10, 64)
	if e1 != nil || e2 != nil {
		return 0, 0, nil, false
	}
	var p []tlog.Hash
	for _, s := range f[2:] {
		h, ok := b64hash(s)
		if !ok {
			return 0, 0, nil, false
		}
		p = append(p, h)
	}
	return a, b, p, true
}

func lines(b []byte) []string {
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

// tlogProof parses a c2sp.org/tlog-proof@v1 file.
func tlogProof(b []byte) (index int64, proof []tlog.Hash, msg []byte, err error) {
	rest := string(b)
	next := func() (string, bool) {
		i := strings.IndexByte(rest, '\n')
		if i < 0 {
			return "", false
		}
		l := rest[:i]
		rest = rest[i+1:]
		return l, true
	}
	l, ok := next()
	if !ok || l != "c2sp.org/tlog-proof@v1" {
		return 0, nil, nil, fmt.Errorf("bad header")
	}
	if l, ok = next(); ok && strings.HasPrefix(l, "extra ") {
		if _, err := base64.StdEncoding.DecodeString(l[6:]); err != nil {
			return 0, nil, nil, fmt.Errorf("bad extra")
		}
		l, ok = next()
	}
	if !ok || !strings.HasPrefix(l, "index ") {
		return 0, nil, nil, fmt.Errorf("no index")
	}
	index, err = strconv.ParseInt(l[6:], 10, 64)
	if err != nil || strconv.FormatInt(index, 10) != l[6:] {
		return 0, nil, nil, fmt.Errorf("bad index")
	}
	for {
		l, ok = next()
		if !ok {
			return 0, nil, nil, fmt.Errorf("no checkpoint")
		}
		if l == "" {
			break
		}
		h, ok := b64hash(l)
		if !ok {
			return 0, nil, nil, fmt.Errorf("bad hash")
		}
		proof = append(proof, h)
	}
	return index, proof, []byte(rest), nil
}

// cosigCheck: "tlogcheck -cosig LOGVKEY COSIGNERVKEY NOTEFILE" checks a
// checkpoint as the switch serves it (GET /v1/log/witnessed): the log's
// signature with x/mod's note, then the cosigner's cosignature/v1 line.
func cosigCheck(logVkey, cosVkey, file string) {
	v, err := note.NewVerifier(strings.TrimSpace(logVkey))
	check(err == nil, "note.NewVerifier: %v", err)
	cs, err2 := parseCosigner(cosVkey)
	check(err2 == nil, "cosigner vkey: %v", err2)
	b, err3 := os.ReadFile(file)
	check(err3 == nil, "read %s: %v", file, err3)
	if err != nil || err2 != nil || err3 != nil {
		return
	}
	n, err := note.Open(b, note.VerifierList(v))
	check(err == nil, "note.Open: %v", err)
	if err != nil {
		return
	}
	ts, ok := verifyCosig(cs, n)
	check(ok && ts > 1600000000, "cosignature/v1 of %s does not verify (ts %d)", cs.name, ts)
}

func main() {
	if len(os.Args) == 5 && os.Args[1] == "-cosig" {
		cosigCheck(os.Args[2], os.Args[3], os.Args[4])
		fmt.Printf("tlogcheck: %d passed, %d failed\n", pass, fail)
		if fail > 0 {
			os.Exit(1)
		}
		return
	}
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: tlogcheck DIR")
		os.Exit(2)
	}
	dir := os.Args[1]
	defer func() {
		fmt.Printf("tlogcheck: %d passed, %d failed\n", pass, fail)
		if fail > 0 {
			os.Exit(1)
		}
	}()

	// the log key, and Go signing the same text with the same key
	vkey := strings.TrimSpace(string(read(dir, "vkey")))
	v, err := note.NewVerifier(vkey)
	check(err == nil, "note.NewVerifier(%q): %v", vkey, err)
	if err != nil {
		return
	}
	cp := read(dir, "checkpoint")
	n, err := note.Open(cp, note.VerifierList(v))
	check(err == nil, "note.Open(checkpoint): %v", err)
	if err != nil {
		return
	}
	check(len(n.Sigs) == 1 && n.Sigs[0].Name == v.Name() && n.Sigs[0].Hash == v.KeyHash(),
		"log signature not among the verified: %+v", n.Sigs)
	signer, err := note.NewSigner(strings.TrimSpace(string(read(dir, "skey"))))
	check(err == nil, "note.NewSigner: %v", err)
	if err == nil {
		goSigned, err := note.Sign(&note.Note{Text: n.Text}, signer)
		check(err == nil && bytes.HasPrefix(cp, goSigned),
			"Go's signature of the text differs from libdenpo's:\n%s---\n%s", goSigned, cp)
	}
	c, ok := parseCheckpoint(n.Text)
	check(ok && c.origin == v.Name(), "checkpoint text: %q", n.Text)

	// the cosignature, by an independent cosignature/v1 verifier
	cs, err := parseCosigner(string(read(dir, "cosigner.vkey")))
	check(err == nil, "cosigner vkey: %v", err)
	if err == nil {
		ts, ok := verifyCosig(cs, n)
		check(ok && ts > 1600000000, "cosignature/v1 does not verify (ts %d)", ts)
	}

	// forged notes are refused
	_, err = note.Open(read(dir, "checkpoint.badsig"), note.VerifierList(v))
	_, isInvalid := err.(*note.InvalidSignatureError)
	check(isInvalid, "checkpoint.badsig opened: %v", err)
	nb, err := note.Open(read(dir, "checkpoint.badcosig"), note.VerifierList(v))
	check(err == nil, "checkpoint.badcosig: the log signature is intact: %v", err)
	if err == nil && cs.pub != nil {
		_, ok := verifyCosig(cs, nb)
		check(!ok, "checkpoint.badcosig: a flipped cosignature verified")
	}

	// leaf hashes, and Go's own tree over them
	var leaves []tlog.Hash
	var store hashStore
	for i, l := range lines(read(dir, "entries.txt")) {
		f := strings.Split(l, " ")
		if len(f) != 2 {
			check(false, "entries.txt line %d", i)
			continue
		}
		e, err1 := hex.DecodeString(f[0])
		want, err2 := hex.DecodeString(f[1])
		h := tlog.RecordHash(e)
		check(err1 == nil && err2 == nil && bytes.Equal(h[:], want),
			"RecordHash(entry %d) = %x, libdenpo %s", i, h, f[1])
		leaves = append(leaves, h)
		hs, err := tlog.StoredHashesForRecordHash(int64(i), h, &store)
		if err != nil {
			check(false, "StoredHashes: %v", err)
			return
		}
		store = append(store, hs...)
	}
	roots := map[int64]tlog.Hash{}
	bad := 0
	for _, l := range lines(read(dir, "roots.txt")) {
		f := strings.Fields(l)
		s, err := strconv.ParseInt(f[0], 10, 64)
		r, ok := b64hash(f[1])
		if err != nil || !ok {
			bad++
			continue
		}
		roots[s] = r
		th, err := tlog.TreeHash(s, &store)
		if err != nil || th != r {
			bad++
		}
	}
	check(bad == 0 && len(roots) == len(leaves), "roots: %d of %d differ from tlog.TreeHash", bad, len(roots))
	check(c.size == int64(len(leaves)) && c.root == roots[c.size], "checkpoint root is not the tree's")

	// inclusion and consistency proofs: all good ones verify, all bad ones fail
	for _, name := range []string{"incl.txt", "incl.bad.txt"} {
		want := name == "incl.txt"
		ok, total := 0, 0
		for _, l := range lines(read(dir, name)) {
			i, s, p, parsed := proofLine(l)
			if !parsed || i < 0 || s < 1 || i >= int64(len(leaves)) || s > int64(len(leaves)) {
				check(false, "%s: %q", name, l)
				continue
			}
			total++
			if (tlog.CheckRecord(p, s, roots[s], i, leaves[i]) == nil) == want {
				ok++
			}
		}
		// a one-leaf log has only empty inclusion proofs: nothing to flip
		check(ok == total && (total > 0 || (!want && len(leaves) == 1)),
			"%s: %d of %d as expected", name, ok, total)
	}
	for _, name := range []string{"cons.txt", "cons.bad.txt"} {
		want := name == "cons.txt"
		ok, total := 0, 0
		for _, l := range lines(read(dir, name)) {
			s1, s2, p, parsed := proofLine(l)
			if !parsed || s1 < 1 || s1 > s2 || s2 > int64(len(leaves)) {
				check(false, "%s: %q", name, l)
				continue
			}
			total++
			if (tlog.CheckTree(p, s2, roots[s2], s1, roots[s1]) == nil) == want {
				ok++
			}
		}
		// a one-leaf log has no consistency proof with a hash to flip
		check(ok == total && (total > 0 || (!want && len(leaves) == 1)),
			"%s: %d of %d as expected", name, ok, total)
	}

	// tlog-proof files, parsed here, checked with x/mod
	files, _ := filepath.Glob(filepath.Join(dir, "proof-*.tlog-proof"))
	good := 0
	for _, f := range files {
		b, _ := os.ReadFile(f)
		want := !strings.HasSuffix(f, "proof-bad.tlog-proof")
		idx, p, msg, err := tlogProof(b)
		verified := false
		if err == nil {
			pn, err := note.Open(msg, note.VerifierList(v))
			if err == nil {
				pc, ok := parseCheckpoint(pn.Text)
				verified = ok && idx < int64(len(leaves)) &&
					tlog.CheckRecord(p, pc.size, pc.root, idx, leaves[idx]) == nil
			}
		}
		check(verified == want, "%s: verified %v", filepath.Base(f), verified)
		if want {
			good++
		}
	}
	check(good >= 1, "no tlog-proof files")
}
