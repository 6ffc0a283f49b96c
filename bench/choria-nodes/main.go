// Command choria-nodes is the reconnect-storm load generator with the real client library: N
// nats.go connections configured as go-choria's connector configures them (choria/connection.go):
// MaxReconnects(-1), Timeout 2 s (plugin.choria.network.connect_timeout), ReconnectBufSize 10 KiB,
// DontRandomize() unless -randomize, and, since go-choria #860 (2020), CustomReconnectDelay with
// backoff.TwentySec: before attempt n it sleeps a random time in [0.5, 1.5) x 500, 750, 1000,
// 1500, ... 20000 ms. -backoff natsgo replaces that with nats.go's own default (ReconnectWait 2 s
// plus a random ReconnectJitterTLS below 1 s), which older go-choria and most nats.go clients use.
//
// Each node subscribes as a Choria server does (five broadcast agents and its node subject).
// ReconnectStormBench drives it over stdin, one command per line, one answer line each:
//
//	connect N INFLIGHT BOUND_S  connect nodes 0..N-1, at most INFLIGHT at once -> "connected N SECONDS"
//	established                 -> "established K"
//	reset                       zero every node's attempt count (before the broker goes) -> "reset"
//	mark                        take time zero for "storm" (as the broker restarts) -> "marked"
//	storm N                     -> "storm BACK P50_S P90_S ALL_S OVER3 MAXATTEMPTS ATTEMPTS" (ALL_S -1: not all back)
//	close                       close every connection and exit
//
// Build (Debian's golang-go and golang-github-nats-io-go-nats-dev, offline):
//
//	cd bench/choria-nodes && GO111MODULE=off GOPATH=/usr/share/gocode go build -o ../../target/choria-nodes .
package main

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
)

// twentySec is go-choria's backoff.TwentySec policy (backoff/backoff.go).
var twentySec = []int{
	500, 750, 1000, 1500, 2000, 2500, 3000, 3500, 4000, 4500, 5000,
	5500, 5750, 6000, 6500, 7000, 7500, 8000, 8500, 9000, 9500, 10000,
	10500, 10750, 11000, 11500, 12000, 12500, 13000, 13500, 14000, 14500, 15000,
	15500, 15750, 16000, 16500, 17000, 17500, 18000, 18500, 19000, 19500, 20000,
}

// choriaDelay is backoff.TwentySec.Duration(n): the n'th step, randomised to [0.5, 1.5) times it.
func choriaDelay(n int) time.Duration {
	if n >= len(twentySec) {
		n = len(twentySec) - 1
	}
	ms := twentySec[n]
	return time.Duration(ms/2+rand.Intn(ms)) * time.Millisecond
}

// natsGoDelay is nats.go's default wait before a reconnect to a TLS server: ReconnectWait plus
// a random ReconnectJitterTLS.
func natsGoDelay(int) time.Duration {
	return nats.DefaultReconnectWait + time.Duration(rand.Int63n(int64(nats.DefaultReconnectJitterTLS)))
}

type node struct {
	attempts int64 // reconnect attempts since mark (one per delay with one server; per pool walk with several)
	backAt   int64 // unix nanos of the last (re)connect
	nc       *nats.Conn
}

var firstError sync.Once

var agents = []string{"rpcutil", "discovery", "choria_util", "scout", "filemgr"}

func main() {
	servers := flag.String("servers", "tls://127.0.0.1:4222", "comma-separated middleware_hosts, in the order every node walks them")
	ca := flag.String("ca", "", "CA bundle (PEM)")
	cert := flag.String("cert", "", "node certificate chain (PEM)")
	key := flag.String("key", "", "node private key (PEM)")
	timeout := flag.Duration("timeout", 2*time.Second, "nats.go Timeout (go-choria: plugin.choria.network.connect_timeout)")
	backoff := flag.String("backoff", "choria", "reconnect delay: choria (backoff.TwentySec) or natsgo (2 s + jitter below 1 s)")
	randomize := flag.Bool("randomize", false, "plugin.choria.randomize_middleware_hosts (default off: DontRandomize)")
	order := flag.String("order", "same", "middleware_hosts per node: same (every node the list as given) or rotate (node i starts at host i mod n, as Puppet's fqdn_rotate would give)")
	collective := flag.String("collective", "choria", "subject prefix")
	serverName := flag.String("servername", "", "the name the broker's certificate is checked against (Choria nodes name the broker by DNS; empty: the URL's host)")
	flag.Parse()

	delay := choriaDelay
	switch *backoff {
	case "choria":
	case "natsgo":
		delay = natsGoDelay
	default:
		fail("backoff must be choria or natsgo")
	}
	tlsc := tlsConfig(*ca, *cert, *key)
	tlsc.ServerName = *serverName

	var established int64
	var nodes []*node
	var mu sync.Mutex
	var markedAt int64

	connectOne := func(id int, done chan<- bool) {
		n := &node{}
		opts := []nats.Option{
			nats.MaxReconnects(-1),
			nats.Name(fmt.Sprintf("node-%d.example.net", id)),
			nats.Timeout(*timeout),
			nats.ReconnectBufSize(10 * 1024),
			nats.Secure(tlsc),
			nats.CustomReconnectDelay(func(a int) time.Duration {
				atomic.AddInt64(&n.attempts, 1)
				return delay(a)
			}),
			nats.DisconnectErrHandler(func(*nats.Conn, error) { atomic.AddInt64(&established, -1) }),
			nats.ReconnectHandler(func(*nats.Conn) {
				atomic.StoreInt64(&n.backAt, time.Now().UnixNano())
				atomic.AddInt64(&established, 1)
			}),
			nats.PingInterval(30 * time.Second),
		}
		if !*randomize {
			opts = append(opts, nats.DontRandomize())
		}
		urls := strings.Split(*servers, ",")
		if *order == "rotate" {
			k := id % len(urls)
			urls = append(append([]string{}, urls[k:]...), urls[:k]...)
		}
		nc, err := nats.Connect(strings.Join(urls, ","), opts...)
		if err == nil {
			name := fmt.Sprintf("node-%d.example.net", id)
			for _, a := range agents {
				if _, err = nc.Subscribe(*collective+".broadcast.agent."+a, func(*nats.Msg) {}); err != nil {
					break
				}
			}
			if err == nil {
				_, err = nc.Subscribe(*collective+".node."+name, func(*nats.Msg) {})
			}
			if err == nil {
				err = nc.Flush()
			}
		}
		if err != nil {
			if nc != nil {
				nc.Close()
			}
			firstError.Do(func() { fmt.Fprintf(os.Stderr, "choria-nodes: first connect error: %v\n", err) })
			done <- false
			return
		}
		n.nc = nc
		atomic.StoreInt64(&n.backAt, time.Now().UnixNano())
		atomic.AddInt64(&established, 1)
		mu.Lock()
		for len(nodes) <= id {
			nodes = append(nodes, nil)
		}
		nodes[id] = n
		mu.Unlock()
		done <- true
	}

	in := bufio.NewScanner(os.Stdin)
	out := bufio.NewWriter(os.Stdout)
	say := func(format string, a ...interface{}) {
		fmt.Fprintf(out, format+"\n", a...)
		out.Flush()
	}
	for in.Scan() {
		f := strings.Fields(in.Text())
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "connect":
			n, inflight, bound := atoi(f[1]), atoi(f[2]), time.Duration(atoi(f[3]))*time.Second
			t0 := time.Now()
			done := make(chan bool, inflight)
			running, ok := 0, 0
			for id := 0; id < n || running > 0; {
				if id < n && running < inflight {
					running++
					go func(id int) {
						// the initial connect retries as go-choria's does (backoff.Default), so a refused
						// attempt under load is not a failed benchmark
						for try := 1; ; try++ {
							d := make(chan bool, 1)
							connectOne(id, d)
							if <-d {
								done <- true
								return
							}
							if time.Since(t0) > bound {
								done <- false
								return
							}
							time.Sleep(choriaDelay(try))
						}
					}(id)
					id++
					continue
				}
				if <-done {
					ok++
				}
				running--
			}
			if ok < n {
				say("error connected %d of %d within %s", ok, n, bound)
				continue
			}
			say("connected %d %.3f", n, time.Since(t0).Seconds())
		case "established":
			say("established %d", atomic.LoadInt64(&established))
		case "reset":
			mu.Lock()
			for _, n := range nodes {
				if n != nil {
					atomic.StoreInt64(&n.attempts, 0)
				}
			}
			mu.Unlock()
			say("reset")
		case "mark":
			atomic.StoreInt64(&markedAt, time.Now().UnixNano())
			say("marked")
		case "storm":
			want := atoi(f[1])
			t0 := atomic.LoadInt64(&markedAt)
			var back []float64
			over3, max, total := 0, int64(0), int64(0)
			mu.Lock()
			for _, n := range nodes {
				if n == nil {
					continue
				}
				a := atomic.LoadInt64(&n.attempts)
				total += a
				if a > 3 {
					over3++
				}
				if a > max {
					max = a
				}
				if at := atomic.LoadInt64(&n.backAt); at >= t0 && n.nc.IsConnected() {
					back = append(back, float64(at-t0)/1e9)
				}
			}
			mu.Unlock()
			sort.Float64s(back)
			q := func(p float64) float64 {
				i := int(float64(want) * p)
				if i >= len(back) {
					return -1
				}
				return back[i]
			}
			all := -1.0
			if len(back) >= want {
				all = back[want-1]
			}
			say("storm %d %.3f %.3f %.3f %d %d %d", len(back), q(0.5), q(0.9), all, over3, max, total)
		case "close":
			mu.Lock()
			for _, n := range nodes {
				if n != nil {
					n.nc.Close()
				}
			}
			mu.Unlock()
			say("closed")
			return
		default:
			say("error unknown command %q", f[0])
		}
	}
}

func tlsConfig(ca, cert, key string) *tls.Config {
	// as go-choria's file security provider: TLS 1.2 or later, its curve order (X25519 first)
	c := &tls.Config{
		MinVersion:       tls.VersionTLS12,
		CurvePreferences: []tls.CurveID{tls.X25519, tls.CurveP256, tls.CurveP384, tls.CurveP521},
	}
	pem, err := os.ReadFile(ca)
	if err != nil {
		fail(err.Error())
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		fail("no certificate in " + ca)
	}
	c.RootCAs = pool
	pair, err := tls.LoadX509KeyPair(cert, key)
	if err != nil {
		fail(err.Error())
	}
	c.Certificates = []tls.Certificate{pair}
	return c
}

func atoi(s string) int {
	v, err := strconv.Atoi(s)
	if err != nil {
		fail(err.Error())
	}
	return v
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "choria-nodes: "+msg)
	os.Exit(2)
}
