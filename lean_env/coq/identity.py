"""Which global constant a name denotes, as text that no session's imports can change.

The verifier compares the axioms a proof relies on (printed by one Coq session) with those its
header brings (printed by another). Coq prints a global name as the shortest suffix of its path
that the session resolves to it, so the same axiom prints differently where its library was
imported (`int` after `Require Import Uint63`) and where it was only required (`PrimInt63.int`),
and Coq 8.16 has no option to print full paths. So both sessions run the same Ltac2 printer,
which walks the constant's kernel type and writes every global reference by its full path: two
sessions print the same text exactly when the name denotes the constant of the same full path
with the same type, up to the names of bound variables and universe levels (which the printed
types never showed). A term node the printer does not know (a match, a fixpoint, a literal, a
cast, a section variable) stops it, and a name without an identity is never the same as another.
"""

from __future__ import annotations

import re
from typing import Sequence

QUALID = re.compile(r"[A-Za-z_][\w']*(?:\.[A-Za-z_][\w']*)*")

# `@@MARK@@` is replaced by a fresh random marker, which neither the header nor the proof knew.
PRINTER = """From Ltac2 Require Import Ltac2.
Ltac2 prover_path (r : Std.reference) : message :=
  List.fold_left (fun m i => Message.concat m (Message.concat (Message.of_string ".") (Message.of_ident i)))
    (Env.path r) (Message.of_string "").
Ltac2 rec prover_canon (c : constr) : message :=
  let s := Message.of_string in
  let node (tag : string) (parts : message list) :=
    Message.concat (Message.concat (s "(") (s tag))
      (Message.concat (List.fold_left (fun m p => Message.concat m (Message.concat (s " ") p)) parts (s "")) (s ")")) in
  match Constr.Unsafe.kind c with
  | Constr.Unsafe.Rel n => node "rel" [Message.of_int n]
  | Constr.Unsafe.Sort _ => node "sort" [Message.of_constr c]
  | Constr.Unsafe.Prod b t => node "prod" [prover_canon (Constr.Binder.type b); prover_canon t]
  | Constr.Unsafe.Lambda b t => node "lambda" [prover_canon (Constr.Binder.type b); prover_canon t]
  | Constr.Unsafe.LetIn b v t =>
    node "let" [prover_canon (Constr.Binder.type b); prover_canon v; prover_canon t]
  | Constr.Unsafe.App f args => node "app" (prover_canon f :: List.map prover_canon (Array.to_list args))
  | Constr.Unsafe.Constant k _ => node "const" [prover_path (Std.ConstRef k)]
  | Constr.Unsafe.Ind i _ => node "ind" [prover_path (Std.IndRef i)]
  | Constr.Unsafe.Constructor k _ => node "construct" [prover_path (Std.ConstructRef k)]
  | _ => Control.throw (Invalid_argument (Some (s "prover_canon: a node it does not print")))
  end.
Ltac2 prover_identity (index : int) (c : constr) :=
  match Constr.Unsafe.kind c with
  | Constr.Unsafe.Constant k _ =>
    Message.print (Message.concat (Message.concat (Message.of_string "@@MARK@@:") (Message.of_int index))
      (Message.concat (Message.concat (Message.of_string ": ") (prover_path (Std.ConstRef k)))
        (Message.concat (Message.concat (Message.of_string " : ") (prover_canon (Constr.type c)))
          (Message.of_string " :@@MARK@@"))))
  | _ => ()
  end.
"""


def identity_script(names: Sequence[str], marker: str) -> str:
    """The printer and one query per name (each a qualified identifier: ValueError otherwise);
    a query that fails (no such name, not a constant, a node the printer does not know) prints
    nothing for its name."""
    bad = [n for n in names if not QUALID.fullmatch(n)]
    if bad:
        raise ValueError(f"not a qualified name: {bad[0]!r}")
    queries = "".join(f"Ltac2 Eval prover_identity {i} constr:(@{n}).\n" for i, n in enumerate(names))
    return PRINTER.replace("@@MARK@@", marker) + queries


def parse_identities(text: str, names: Sequence[str], marker: str) -> dict[str, str]:
    """Each name's identity (full path and canonical type) found in the printed text; a name
    printed twice, or with text the printer cannot write, has none."""
    found: dict[str, list[str]] = {}
    for m in re.finditer(rf"{re.escape(marker)}:(\d+): (.*?) :{re.escape(marker)}", text, re.S):
        index = int(m.group(1))
        if index < len(names):
            found.setdefault(names[index], []).append(" ".join(m.group(2).split()))
    return {
        name: values[0] for name, values in found.items()
        if len(values) == 1 and re.fullmatch(r"[\w'.]+ : [\w'.() ]+", values[0])
    }
