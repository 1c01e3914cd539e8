//! The example's programs, in the assembler's syntax (`asm.rs`). Each is a `static`
//! [`Program`]: assembled once, by the first thread that runs it, for every runtime.

use crate::machine::Program;

/// Beazley's `countdown(n)`: only locals, so free-threaded it runs in parallel.
pub(crate) static COUNTDOWN: Program = Program::new(
    "countdown",
    "
        .locals n
loop:   load n              # while n > 0:  (n != 0, as n starts >= 0)
        jump_if_zero done
        load n              #     n -= 1
        push 1
        sub
        store n
        jump loop
done:   load n              # 0: the loop ran to the end
        return
",
);

/// `for _ in range(n): counter += 1`.
pub(crate) static COUNTER: Program = Program::new(
    "counter += 1",
    "
        .locals n
loop:   load n
        jump_if_zero done
        load_global counter # counter += 1: a switch after this load and before the
        push 1              # store loses the other threads' updates in between
        add
        store_global counter
        load n
        push 1
        sub
        store n
        jump loop
done:   push 0
        return
",
);

/// The same with `with lock:` around the increment.
pub(crate) static COUNTER_LOCKED: Program = Program::new(
    "with lock",
    "
        .locals n
loop:   load n
        jump_if_zero done
        lock_acquire lock   # waits with the GIL released
        load_global counter
        push 1
        add
        store_global counter
        lock_release lock
        load n
        push 1
        sub
        store n
        jump loop
done:   push 0
        return
",
);

/// `n` blocking calls of [`IO_MS`] milliseconds, counted in a global under a lock.
pub(crate) static IO: Program = Program::new(
    "sleep_io",
    "
        .locals n
loop:   load n
        jump_if_zero done
        sleep_io 10         # releases the GIL while it blocks
        lock_acquire lock   # with lock: calls += 1  (unlocked, free-threaded loses
        load_global calls   # some: the first version of this example did)
        push 1
        add
        store_global calls
        lock_release lock
        load n
        push 1
        sub
        store n
        jump loop
done:   push 0
        return
",
);
/// The duration of one `sleep_io` in [`IO`].
pub(crate) const IO_MS: u64 = 10;

/// Part 4's waiter: `lock.acquire()` of a lock another thread holds (argument 1), or
/// `with cond: cond.wait()` with nobody to notify (argument 0). Only an interrupt ends it.
pub(crate) static WAITER: Program = Program::new(
    "waiter",
    "
        .locals on_lock
        load on_lock
        jump_if_zero on_cond
        lock_acquire held   # another thread holds it: blocks
        lock_release held
        push 1
        return
on_cond: cond_wait c        # nobody notifies: blocks
        push 0
        return
",
);
