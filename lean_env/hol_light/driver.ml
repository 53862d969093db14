(* The trusted driver, loaded once into the zygote after HOL Light and its libraries.

   Nothing untrusted is ever evaluated in the zygote: it only forks. Every function the verdict
   depends on is bound here, before any child exists, so text evaluated later in a child cannot
   rebind what the checks call. Python sends one phrase per line (the camlp5 toplevel drops the
   rest of a line after a phrase), and reads answers framed by a nonce the child was given at fork
   time, which text sent to the child cannot know. *)

#load "unix.cma";;

(* HOL Light's syntax extension reads all-capital names as values, so the Unix constructors these
   need are bound through OCaml's own parser. *)
Toploop.execute_phrase false Format.std_formatter (Parse.toplevel_phrase (Lexing.from_string
  "let prover_itimer = Unix.ITIMER_REAL and prover_wronly = Unix.O_WRONLY and prover_rdonly = Unix.O_RDONLY;;"));;

let prover_parse_term = parse_term;;
let prover_parse_type = parse_type;;
let prover_prove = prove;;
let prover_axioms = axioms;;
let prover_concl = concl;;
let prover_hyp = hyp;;
let prover_aconv = aconv;;
let prover_equals_thm = equals_thm;;
let prover_by = by;;
let prover_valid = VALID;;
let prover_mk_goalstate = mk_goalstate;;
let prover_pp_term = pp_print_term;;
let prover_initial_axioms = prover_axioms ();;

(* Quotations in screened tactic text are sent as calls to these. *)
let prover_term s = prover_parse_term s;;
let prover_type s = prover_parse_type s;;

exception Prover_timeout;;

let prover_nonce = ref "";;
let prover_verdict_fd = ref (None : Unix.file_descr option);;
let prover_states = (Hashtbl.create 64 : (int, goalstate) Hashtbl.t);;
let prover_goal = ref (None : term option);;

(* Terms printed whole on one line: no depth elision, no line breaks. *)
let prover_string_of_term =
  let buf = Buffer.create 4096 in
  let fmt = Format.formatter_of_buffer buf in
  Format.pp_set_max_boxes fmt 1000000000;
  fun t ->
    Format.pp_set_margin fmt 1000000;
    Buffer.clear buf;
    prover_pp_term fmt t;
    Format.pp_print_flush fmt ();
    Buffer.contents buf;;

let prover_hex s =
  let b = Buffer.create (2 * String.length s) in
  String.iter (fun c -> Buffer.add_string b (Printf.sprintf "%02x" (Char.code c))) s;
  Buffer.contents b;;

let prover_emit s = print_string s; flush stdout;;

let prover_frame body = prover_emit ("\n<<<" ^ !prover_nonce ^ " " ^ body ^ ">>>" ^ !prover_nonce ^ "\n");;

let prover_message e = match e with
  | Failure s -> s
  | Prover_timeout -> "timeout"
  | e -> Printexc.to_string e;;

(* Wall-clock limit of the next request (the seam's timeouts are wall-clock, as under load a CPU
   limit would let a tactic run far past it): the watchdog in Python kills a child that ignores it. *)
let prover_arm ms =
  ignore (Sys.signal Sys.sigalrm (Sys.Signal_handle (fun _ -> raise Prover_timeout)));
  ignore (Unix.setitimer prover_itimer
            {Unix.it_interval = 0.0; Unix.it_value = float_of_int ms /. 1000.0});;

let prover_disarm () =
  ignore (Unix.setitimer prover_itimer {Unix.it_interval = 0.0; Unix.it_value = 0.0});;

let prover_sync n = prover_disarm (); prover_frame ("SYNC " ^ string_of_int n);;

let prover_show id ((_, gls, _) : goalstate) =
  let goal (asl, w) =
    String.concat "" (List.map (fun (l, th) ->
      "H " ^ prover_hex l ^ " " ^ prover_hex (prover_string_of_term (prover_concl th)) ^ "\n") (rev asl))
    ^ "C " ^ prover_hex (prover_string_of_term w) ^ "\n" in
  prover_frame ("STATE " ^ string_of_int id ^ "\n" ^ String.concat "" (List.map goal gls));;

let prover_open s =
  try
    let t = prover_parse_term s in
    if type_of t <> bool_ty then failwith "the statement is not a proposition" else
    if frees t <> [] then failwith ("free variables in the statement: " ^
      String.concat ", " (List.map (fun v -> fst (dest_var v)) (frees t))) else
    let gs = prover_mk_goalstate ([], t) in
    Hashtbl.replace prover_states 0 gs; prover_show 0 gs
  with e -> prover_frame ("BAD " ^ prover_hex (prover_message e));;

let prover_step parent id (tac : tactic) =
  try
    let gs = prover_by (prover_valid tac) (Hashtbl.find prover_states parent) in
    prover_disarm ();
    Hashtbl.replace prover_states id gs; prover_show id gs
  with
  | Prover_timeout -> prover_frame "TIMEOUT"
  | e -> prover_disarm (); prover_frame ("FAIL " ^ prover_hex (prover_message e));;

(* The whole proof as one tactic: each step on the first open goal, as the search ran them. *)
let prover_steps (tacs : tactic list) : tactic =
  fun g -> rev_itlist prover_by tacs (prover_mk_goalstate g);;

let prover_verdict s =
  match !prover_verdict_fd with
  | None -> ()
  | Some fd ->
      let line = !prover_nonce ^ " " ^ s ^ "\n" in
      ignore (Unix.write_substring fd line 0 (String.length line));
      Unix.close fd; prover_verdict_fd := None;;

(* The statement is parsed before any untrusted text is evaluated in this child. *)
let prover_set_goal s =
  try
    let t = prover_parse_term s in
    prover_goal := Some t; prover_frame "GOAL"
  with e -> prover_verdict ("FAIL " ^ prover_hex ("the statement does not parse: " ^ prover_message e));
            prover_frame "GOAL";;

let prover_verify (tacs : tactic list) =
  let verdict = match !prover_goal with
    | None -> "FAIL " ^ prover_hex "no statement"
    | Some goal ->
        try
          let th = prover_prove (goal, prover_steps tacs) in
          prover_disarm ();
          let ax = prover_axioms () in
          if prover_hyp th <> [] then "FAIL " ^ prover_hex "the theorem has hypotheses"
          else if not (prover_aconv (prover_concl th) goal) then
            "FAIL " ^ prover_hex "the theorem is not the statement"
          else if List.length ax <> List.length prover_initial_axioms
               || not (List.for_all2 prover_equals_thm ax prover_initial_axioms) then
            "FAIL " ^ prover_hex "the proof added axioms"
          else "OK"
        with e -> prover_disarm (); "FAIL " ^ prover_hex (prover_message e) in
  prover_verdict verdict; prover_frame "VERIFIED";;

(* Run in the zygote only, on Python's command. *)
let prover_fork dir nonce =
  Format.print_flush (); flush stdout; flush stderr;
  match Unix.fork () with
  | 0 ->
      ignore (Unix.setsid ());
      Sys.set_signal Sys.sigchld Sys.Signal_default;
      let out = Unix.openfile (Filename.concat dir "out") [prover_wronly] 0 in
      let verdict = Unix.openfile (Filename.concat dir "verdict") [prover_wronly] 0 in
      let inp = Unix.openfile (Filename.concat dir "in") [prover_rdonly] 0 in
      Unix.dup2 inp Unix.stdin; Unix.dup2 out Unix.stdout; Unix.dup2 out Unix.stderr;
      Unix.close inp; Unix.close out;
      prover_nonce := nonce; prover_verdict_fd := Some verdict;
      prover_frame "READY"
  | pid -> prover_emit ("\n<<<ZYGOTE FORKED " ^ string_of_int pid ^ ">>>\n");;

let prover_axiom_texts () =
  prover_emit ("\n<<<ZYGOTE AXIOMS " ^ String.concat " "
    (List.map (fun th -> prover_hex (prover_string_of_term (prover_concl th))) prover_initial_axioms)
    ^ ">>>\n");;

Sys.set_signal Sys.sigchld Sys.Signal_ignore;;
