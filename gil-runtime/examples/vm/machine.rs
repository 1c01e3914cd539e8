//! The machine: instructions ([`Op`]), code objects compiled once ([`Program`]), the heap
//! every thread shares ([`Heap`]) and one thread's interpreter ([`Vm`]).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use gil_core::{ArcGilGuard, Gil, GilCell, GilOnceCell, Guard, Interrupt};
use gil_sync::{Condition, Lock, WaitError};

use crate::asm::{AsmError, assemble};

/// One instruction of the stack machine. Operands are resolved by the assembler: local,
/// global and lock numbers index the frame's locals, the heap's globals and its locks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    /// Push a constant (`LOAD_CONST`).
    Push(i64),
    /// Push a local (`LOAD_FAST`).
    LoadLocal(usize),
    /// Pop into a local (`STORE_FAST`).
    StoreLocal(usize),
    /// Push a global (`LOAD_GLOBAL`): a heap access, one `GilCell` borrow for this
    /// instruction only.
    LoadGlobal(usize),
    /// Pop into a global (`STORE_GLOBAL`), the same way.
    StoreGlobal(usize),
    /// Pop b, pop a, push a + b (`BINARY_OP +`).
    Add,
    /// Pop b, pop a, push a − b.
    Sub,
    /// Jump to an instruction.
    Jump(usize),
    /// Pop; jump if the value is zero (`POP_JUMP_IF_FALSE`).
    JumpIfZero(usize),
    /// Blocking I/O of this many milliseconds, with the GIL released.
    SleepIo(u64),
    /// `lock.acquire()` of a heap lock (a `gil_sync::Lock`): waits with the GIL released.
    LockAcquire(usize),
    /// `lock.release()`; traps (Python: `RuntimeError`) if it is not locked.
    LockRelease(usize),
    /// `with cond: cond.wait()` on a heap condition (a `gil_sync::Condition`): waits with
    /// the GIL released; an interrupt ends the wait (the lock is taken back first).
    CondWait(usize),
    /// `with cond: cond.notify()`.
    CondNotify(usize),
    /// Pop the frame's result and return it.
    Return,
}

/// A compiled code object: the instructions and the names the assembler resolved.
#[derive(Debug)]
pub(crate) struct Code {
    pub(crate) ops: Vec<Op>,
    /// Local names, arguments first (`.locals` in the source).
    pub(crate) locals: Vec<String>,
    /// Global, lock and condition names, in order of first use (CPython's `co_names`).
    pub(crate) globals: Vec<String>,
    pub(crate) locks: Vec<String>,
    pub(crate) conds: Vec<String>,
}

impl Code {
    /// The number of the global `name`.
    pub(crate) fn global(&self, name: &str) -> Option<usize> {
        self.globals.iter().position(|g| g == name)
    }

    /// The number of the lock `name`.
    pub(crate) fn lock(&self, name: &str) -> Option<usize> {
        self.locks.iter().position(|l| l == name)
    }
}

/// Source text and the code object compiled from it on first use, by whichever thread gets
/// there first: a `GilOnceCell`, so a `static` program needs no lock after that.
pub(crate) struct Program {
    pub(crate) name: &'static str,
    source: &'static str,
    code: GilOnceCell<Code>,
}

impl Program {
    pub(crate) const fn new(name: &'static str, source: &'static str) -> Self {
        Self {
            name,
            source,
            code: GilOnceCell::new(),
        }
    }

    /// The compiled code, assembling the source the first time.
    pub(crate) fn code(&self, guard: &impl Guard) -> Result<&Code, AsmError> {
        self.code.get_or_try_init(guard, || assemble(self.source))
    }
}

/// The shared heap of one run: one `GilCell` per global, so that free-threaded each global
/// is its own lock (per-object locking, as CPython 3.13t), and the program's locks and
/// conditions.
#[derive(Debug)]
pub(crate) struct Heap {
    globals: Box<[GilCell<i64>]>,
    pub(crate) locks: Box<[Lock]>,
    conds: Box<[Condition]>,
}

impl Heap {
    /// A heap for `code`: its globals at zero, its locks unlocked.
    pub(crate) fn new(gil: &Gil, code: &Code) -> Self {
        Self {
            globals: code.globals.iter().map(|_| GilCell::new(gil, 0)).collect(),
            locks: code.locks.iter().map(|_| Lock::new()).collect(),
            conds: code.conds.iter().map(|_| Condition::new()).collect(),
        }
    }

    /// The value of global number `index`.
    pub(crate) fn global(&self, guard: &impl Guard, index: usize) -> i64 {
        *self.globals[index].borrow(guard)
    }
}

/// What stopped a frame: Python would raise an exception here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Trap {
    pub(crate) pc: usize,
    pub(crate) message: String,
}

impl Trap {
    /// What an interpreter raises for `interrupt` at `pc`.
    fn interrupted(pc: usize, interrupt: Interrupt) -> Self {
        let message = match interrupt {
            Interrupt::Requested => "KeyboardInterrupt",
            Interrupt::PendingCall => "the signal handler's exception",
            _ => "SystemError: a pending call panicked",
        };
        Self {
            pc,
            message: message.to_owned(),
        }
    }

    /// Whether this is the `KeyboardInterrupt` of an interrupt.
    pub(crate) fn is_keyboard_interrupt(&self) -> bool {
        self.message == "KeyboardInterrupt"
    }
}

impl fmt::Display for Trap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "trap at pc {}: {}", self.pc, self.message)
    }
}

/// One interpreter thread: its GIL guard (an `ArcGilGuard`, so no lifetime), the shared heap
/// and its frame: the running code's locals, then its value stack.
#[derive(Debug)]
pub(crate) struct Vm {
    guard: ArcGilGuard,
    heap: Arc<Heap>,
    /// Locals below the frame's base, values above.
    stack: Vec<i64>,
    /// Times the eval breaker handed the GIL to another thread.
    pub(crate) switches: u64,
}

impl Vm {
    /// A VM running under `guard`, which must be the guard of the thread's current hold
    /// (a nested one is: `check()` and `allow_threads` act on the whole hold).
    pub(crate) fn new(guard: ArcGilGuard, heap: Arc<Heap>) -> Self {
        Self {
            guard,
            heap,
            stack: Vec::with_capacity(16),
            switches: 0,
        }
    }

    /// The guard, for the caller's own heap accesses between runs.
    pub(crate) fn guard(&self) -> &ArcGilGuard {
        &self.guard
    }

    /// Runs `code` with `args` in its first locals; returns what it returns.
    ///
    /// Every instruction borrows what it needs from the heap and lets go within its own
    /// match arm; then comes the eval breaker. The compiler checks the first half: a
    /// `GilCell` borrow holds `&self.guard`, and `check()` takes `&mut self.guard`.
    pub(crate) fn run(&mut self, code: &Code, args: &[i64]) -> Result<i64, Trap> {
        // One frame, laid out as CPython's: the locals, then the value stack above them.
        let base = code.locals.len().max(args.len());
        self.stack.clear();
        self.stack.extend_from_slice(args);
        self.stack.resize(base, 0);
        let mut pc = 0;
        loop {
            let at = pc;
            let trap = move |message: &str| Trap {
                pc: at,
                message: message.to_owned(),
            };
            let op = *code.ops.get(pc).ok_or_else(|| trap("ran off the end"))?;
            pc += 1;
            match op {
                Op::Push(v) => self.stack.push(v),
                Op::LoadLocal(i) => self.stack.push(self.stack[i]),
                Op::StoreLocal(i) => {
                    self.stack[i] = self.pop(base).ok_or_else(|| trap("stack empty"))?;
                }
                Op::LoadGlobal(i) => {
                    let v = *self.heap.globals[i].borrow(&self.guard);
                    self.stack.push(v);
                }
                Op::StoreGlobal(i) => {
                    let v = self.pop(base).ok_or_else(|| trap("stack empty"))?;
                    *self.heap.globals[i].borrow_mut(&self.guard) = v;
                }
                Op::Add | Op::Sub => {
                    let (b, a) = (self.pop(base), self.pop(base));
                    let (Some(a), Some(b)) = (a, b) else {
                        return Err(trap("stack empty"));
                    };
                    let r = if op == Op::Add {
                        a.wrapping_add(b)
                    } else {
                        a.wrapping_sub(b)
                    };
                    self.stack.push(r);
                }
                Op::Jump(target) => pc = target,
                Op::JumpIfZero(target) => {
                    if self.pop(base).ok_or_else(|| trap("stack empty"))? == 0 {
                        pc = target;
                    }
                }
                Op::SleepIo(ms) => {
                    // No borrow is alive (this arm made none), so releasing the GIL is allowed.
                    self.guard
                        .allow_threads(|| std::thread::sleep(Duration::from_millis(ms)));
                }
                // Waits, if it must, with the GIL released (`gil_core::allow_threads`); an
                // interrupt (Ctrl-C) ends the wait with nothing acquired.
                Op::LockAcquire(i) => match self.heap.locks[i].acquire_interruptible() {
                    Ok(guard) => guard.leak(),
                    Err(interrupt) => return Err(Trap::interrupted(at, interrupt)),
                },
                Op::LockRelease(i) => {
                    self.heap.locks[i]
                        .release()
                        .map_err(|e| trap(&format!("RuntimeError: {e}")))?;
                }
                Op::CondWait(i) => {
                    let cond = &self.heap.conds[i];
                    let held = cond.acquire();
                    let waited = cond.wait();
                    drop(held);
                    match waited {
                        Ok(()) => {}
                        Err(WaitError::Interrupted(interrupt)) => {
                            return Err(Trap::interrupted(at, interrupt));
                        }
                        Err(e) => return Err(trap(&format!("RuntimeError: {e}"))),
                    }
                }
                Op::CondNotify(i) => {
                    let cond = &self.heap.conds[i];
                    let held = cond.acquire();
                    cond.notify(1)
                        .map_err(|e| trap(&format!("RuntimeError: {e}")))?;
                    drop(held);
                }
                Op::Return => return self.pop(base).ok_or_else(|| trap("stack empty")),
            }
            // The eval breaker, between instructions: may hand the GIL to another thread,
            // runs pending calls (main thread), and raises an interrupt.
            match self.guard.check() {
                Ok(turn) => self.switches += u64::from(turn.switched()),
                Err(interrupt) => return Err(Trap::interrupted(at, interrupt)),
            }
        }
    }

    /// Pops a value, never one of the frame's locals (below `base`).
    #[inline]
    fn pop(&mut self, base: usize) -> Option<i64> {
        if self.stack.len() > base {
            self.stack.pop()
        } else {
            None
        }
    }
}
