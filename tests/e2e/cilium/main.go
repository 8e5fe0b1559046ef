// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)

// Command cilium loads a raw BTF blob with cilium/ebpf, as an agent does
// with offline BTF, and prints one struct's members:
//
//	cilium BLOB STRUCT
//
// Built against Debian 12's golang-github-cilium-ebpf-dev (0.9.1), without
// modules: GO111MODULE=off GOPATH=/usr/share/gocode go build. Exit 0 found,
// 1 the blob did not load or has no such struct, 2 usage.
package main

import (
	"fmt"
	"os"

	"github.com/cilium/ebpf/btf"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: cilium BLOB STRUCT")
		os.Exit(2)
	}
	spec, err := btf.LoadSpec(os.Args[1])
	if err != nil {
		fmt.Fprintf(os.Stderr, "cilium/ebpf: %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
	var s *btf.Struct
	if err := spec.TypeByName(os.Args[2], &s); err != nil {
		fmt.Fprintf(os.Stderr, "cilium/ebpf: %s: struct %s: %v\n",
			os.Args[1], os.Args[2], err)
		os.Exit(1)
	}
	fmt.Printf("struct %s size=%d members=%d\n", s.Name, s.Size,
		len(s.Members))
	for _, m := range s.Members {
		fmt.Printf("\t%s bits_offset=%d bitfield_size=%d %T\n", m.Name,
			uint32(m.Offset), uint32(m.BitfieldSize), m.Type)
	}
}
