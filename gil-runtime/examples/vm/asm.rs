//! A two-pass assembler from text to [`Code`].
//!
//! One instruction per line, with an optional `label:` in front (or on a line of its own);
//! `#` starts a comment; `.locals a b` names the locals, arguments first. Mnemonics are the
//! [`Op`]s in snake case: `push 1`, `load n`, `store n`, `load_global counter`,
//! `store_global counter`, `add`, `sub`, `jump loop`, `jump_if_zero done`, `sleep_io 10`,
//! `lock_acquire l`, `lock_release l`, `cond_wait c`, `cond_notify c`, `return`.

use std::collections::HashMap;
use std::fmt;

use crate::machine::{Code, Op};

/// A line the assembler refused, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AsmError {
    pub(crate) line: usize,
    pub(crate) message: String,
}

impl fmt::Display for AsmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// Assembles `source` (see the module docs for the syntax).
pub(crate) fn assemble(source: &str) -> Result<Code, AsmError> {
    let mut locals = Vec::new();
    let mut labels = HashMap::new();
    let mut lines = Vec::new();
    // Pass 1: directives, labels and each instruction's position.
    for (i, text) in source.lines().enumerate() {
        let line = i + 1;
        let mut text = text.split('#').next().unwrap_or_default().trim();
        while let Some((label, rest)) = text.split_once(':') {
            if labels.insert(label.trim(), lines.len()).is_some() {
                return Err(error(
                    line,
                    format!("label `{}` defined twice", label.trim()),
                ));
            }
            text = rest.trim();
        }
        let mut words = text.split_whitespace();
        match words.next() {
            None => {}
            Some(".locals") => locals.extend(words.map(str::to_owned)),
            Some(mnemonic) => {
                let operand = words.next();
                if words.next().is_some() {
                    return Err(error(
                        line,
                        format!("`{mnemonic}` takes one operand at most"),
                    ));
                }
                lines.push((line, mnemonic, operand));
            }
        }
    }
    // Pass 2: resolve the operands.
    let mut code = Code {
        ops: Vec::with_capacity(lines.len()),
        locals,
        globals: Vec::new(),
        locks: Vec::new(),
        conds: Vec::new(),
    };
    for (line, mnemonic, operand) in lines {
        let op = match (mnemonic, operand) {
            ("push", Some(v)) => Op::Push(number(line, v)?),
            ("load", Some(name)) => Op::LoadLocal(local(&code, line, name)?),
            ("store", Some(name)) => Op::StoreLocal(local(&code, line, name)?),
            ("load_global", Some(name)) => Op::LoadGlobal(intern(&mut code.globals, name)),
            ("store_global", Some(name)) => Op::StoreGlobal(intern(&mut code.globals, name)),
            ("add", None) => Op::Add,
            ("sub", None) => Op::Sub,
            ("jump", Some(label)) => Op::Jump(target(&labels, line, label)?),
            ("jump_if_zero", Some(label)) => Op::JumpIfZero(target(&labels, line, label)?),
            ("sleep_io", Some(ms)) => Op::SleepIo(number(line, ms)?),
            ("lock_acquire", Some(name)) => Op::LockAcquire(intern(&mut code.locks, name)),
            ("lock_release", Some(name)) => Op::LockRelease(intern(&mut code.locks, name)),
            ("cond_wait", Some(name)) => Op::CondWait(intern(&mut code.conds, name)),
            ("cond_notify", Some(name)) => Op::CondNotify(intern(&mut code.conds, name)),
            ("return", None) => Op::Return,
            _ => {
                let operand = operand.map_or(String::new(), |o| format!(" {o}"));
                return Err(error(line, format!("no instruction `{mnemonic}{operand}`")));
            }
        };
        code.ops.push(op);
    }
    Ok(code)
}

fn error(line: usize, message: String) -> AsmError {
    AsmError { line, message }
}

fn number<T: std::str::FromStr>(line: usize, text: &str) -> Result<T, AsmError> {
    text.parse()
        .map_err(|_| error(line, format!("`{text}` is not a number")))
}

fn local(code: &Code, line: usize, name: &str) -> Result<usize, AsmError> {
    code.locals
        .iter()
        .position(|l| l == name)
        .ok_or_else(|| error(line, format!("no local `{name}` (declare it with .locals)")))
}

fn target(labels: &HashMap<&str, usize>, line: usize, label: &str) -> Result<usize, AsmError> {
    labels
        .get(label)
        .copied()
        .ok_or_else(|| error(line, format!("no label `{label}`")))
}

/// The number of `name` in `names`, added at the end the first time.
fn intern(names: &mut Vec<String>, name: &str) -> usize {
    names.iter().position(|n| n == name).unwrap_or_else(|| {
        names.push(name.to_owned());
        names.len() - 1
    })
}
