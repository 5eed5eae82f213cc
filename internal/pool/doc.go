// Package pool keeps Jupyter kernels started and ready, per kernelspec, so that a session can
// lease a fresh kernel in microseconds instead of waiting half a second for one to start.
//
// A Pool has a minimum of idle kernels and a maximum of kernels in all (idle, leased and
// starting); it refills in the background whenever a lease or a death takes the idle count
// below the minimum. Idle kernels are watched: one that dies (its heartbeat or process) is
// dropped and replaced. A lease is returned with Release, which by default shuts the kernel
// down (fresh kernels for every session); Reuse puts it back when the owner allows state to
// carry over.
//
// The pool knows kernels only through a Launcher, so that plain launching and a fork server are
// interchangeable. It knows nothing of functions, ZObjects or the fast call channel.
package pool
