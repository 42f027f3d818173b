//go:build tools

// Package tools pins the versions of the programs the GoNB Jupyter kernel needs: gonb itself, goimports and gopls.
// install.sh builds them from this module, because `go install pkg@version` fails behind proxies that refuse
// module version listings.
package tools

import (
	_ "github.com/janpfeifer/gonb"
	_ "golang.org/x/tools/cmd/goimports"
	_ "golang.org/x/tools/gopls"
)
