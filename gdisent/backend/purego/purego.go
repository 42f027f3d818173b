// Package purego registers "purego": GoMLX's pure-Go SimpleGo backend wrapped with the ops and fixes gdisent
// needs to train convnets on a CPU without XLA.
package purego

import (
	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
)

// Name under which the backend is registered with GoMLX.
const Name = "purego"

func init() { backends.Register(Name, New) }

// New creates the wrapped SimpleGo backend. config is passed to SimpleGo.
func New(config string) (backends.Backend, error) {
	return simplego.New(config)
}
