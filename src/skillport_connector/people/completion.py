"""``completion bash|zsh|fish``: a completion script generated from the parser itself, so it
always knows every subcommand and option."""

from __future__ import annotations

import argparse
import shlex

PROG = "skillport-connector"
SHELLS = ("bash", "zsh", "fish")


def command_tree(parser: argparse.ArgumentParser) -> dict[str, tuple[str, list[str], list[str]]]:
    """``{command path: (help, options, subcommands)}``; "" is the top level."""
    tree: dict[str, tuple[str, list[str], list[str]]] = {}

    def walk(p: argparse.ArgumentParser, path: str, help_text: str) -> None:
        options = sorted(o for a in p._actions for o in a.option_strings if o.startswith("--"))
        children: list[str] = []
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                helps = {a.dest: a.help or "" for a in action._choices_actions}
                for name, child in action.choices.items():
                    children.append(name)
                    walk(child, f"{path} {name}".strip(), helps.get(name, ""))
        tree[path] = (help_text, options, children)

    walk(parser, "", "")
    return tree


def bash(tree: dict[str, tuple[str, list[str], list[str]]]) -> str:
    cases = "\n".join(
        f"    {shlex.quote(path)}) words_for={shlex.quote(' '.join(children + options))} ;;"
        for path, (_, options, children) in sorted(tree.items())
    )
    return f"""# {PROG} completion for bash: eval "$({PROG} completion bash)"
_skillport_connector() {{
  local cur="${{COMP_WORDS[COMP_CWORD]}}" path="" word words_for="" i
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="${{COMP_WORDS[i]}}"
    case "$word" in -*) continue ;; esac
    case "${{path:+$path }}$word" in
{chr(10).join(f"      {shlex.quote(p)}) path={shlex.quote(p)} ;;" for p in sorted(tree) if p)}
    esac
  done
  case "$path" in
{cases}
  esac
  COMPREPLY=( $(compgen -W "$words_for" -- "$cur") )
}}
complete -o default -F _skillport_connector {PROG}
"""


def zsh(tree: dict[str, tuple[str, list[str], list[str]]]) -> str:
    return (
        f'# {PROG} completion for zsh: eval "$({PROG} completion zsh)"\n'
        "autoload -U +X bashcompinit && bashcompinit\n" + bash(tree).split("\n", 1)[1]
    )


def fish(tree: dict[str, tuple[str, list[str], list[str]]]) -> str:
    lines = [f"# {PROG} completion for fish: {PROG} completion fish | source"]
    top = tree[""][2]
    lines.append(f"complete -c {PROG} -f")
    for name in top:
        helptext = tree[name][0]
        lines.append(
            f"complete -c {PROG} -n '__fish_use_subcommand' -a {shlex.quote(name)} "
            f"-d {shlex.quote(helptext)}"
        )
    for path, (_, options, children) in sorted(tree.items()):
        if not path:
            continue
        words = path.split()
        condition = " && ".join(f"__fish_seen_subcommand_from {w}" for w in words)
        for child in children:
            lines.append(f"complete -c {PROG} -n {shlex.quote(condition)} -a {shlex.quote(child)}")
        for option in options:
            lines.append(f"complete -c {PROG} -n {shlex.quote(condition)} -l {option[2:]}")
    return "\n".join(lines) + "\n"


def cmd_completion(args: argparse.Namespace) -> int:
    from ..cli import build_parser

    tree = command_tree(build_parser())
    print({"bash": bash, "zsh": zsh, "fish": fish}[args.shell](tree), end="")
    return 0
