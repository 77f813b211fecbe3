// A small Go service for the hub's tests: net/http/pprof's endpoints, a CPU hot spot
// (hotLoop), goroutines blocked on a mutex held forever, and a pool of idle workers.
package main

import (
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"sync"
)

var sink int

//go:noinline
func hotLoop() {
	x := 0
	for {
		for i := 0; i < 1000000; i++ {
			x += i * i % 7
		}
		sink = x
	}
}

var ledger sync.Mutex

//go:noinline
func waitForLedger() {
	ledger.Lock()
	ledger.Unlock()
}

func worker(jobs <-chan int) {
	for j := range jobs {
		sink += j
	}
}

func main() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	go hotLoop()
	ledger.Lock()
	for i := 0; i < 5; i++ {
		go waitForLedger()
	}
	jobs := make(chan int)
	for i := 0; i < 3; i++ {
		go worker(jobs)
	}
	fmt.Println("LISTENING", ln.Addr().String())
	_ = http.Serve(ln, nil)
}
