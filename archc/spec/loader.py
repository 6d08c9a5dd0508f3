"""Find, read, merge (``extends:``) and validate a spec.

Pre:  a spec reference: a path to a YAML file, or a built-in name (``resnet50``, ``torchvision/resnet50``).
Post: a :class:`LoadedSpec` holding the validated :class:`Spec`, the source marks of every value (for
      located diagnostics in later passes), a display path and a content hash. Raises :class:`SpecError`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import yaml
from pydantic import ValidationError

from archc.diagnostics import Diagnostic, SpecError, did_you_mean
from archc.ir import user_blocks
from archc.ir.blocks import GROUPED
from archc.ir.plan import stage_widths
from archc.settings import LIMITS
from archc.spec.fields import METADATA_KEY
from archc.spec.paths import (
    _BUILTIN_NAME,
    builtin_names,
    closest_builtins,
    display_path,
    located_name,
    resolve,
    specs_dir,
    walkthrough,
)
from archc.spec.recipes import BUILTIN_KINDS
from archc.spec.schema import Metadata, Spec
from archc.spec.yamlread import Mark, Marks, parse_yaml, read_yaml


@dataclass(frozen=True)
class LoadedSpec:
    """A validated spec, where each of its values was written, and where it came from."""

    spec: Spec
    marks: Marks
    path: str  # as shown in diagnostics and provenance: "specs/resnet50.yaml" for built-ins
    builtin: str | None  # "torchvision/resnet50" for built-ins
    sha256: str  # of the spec file and every file it extends, in that order
    files: tuple = ()  # ((absolute path, sha256 of its bytes), …) of that chain, the spec file first

    @property
    def key(self) -> str:
        """Output location under generated/<backend>/ (built-in path, else the spec's name)."""
        return self.builtin or self.spec.name

    @property
    def source(self) -> str:
        """The spec as named in generated files' provenance: the same whatever the working directory or
        spelling of the path: ``specs/<name>.yaml`` for built-ins, else the file's name (``my_net.yaml``)."""
        return f"specs/{self.builtin}.yaml" if self.builtin else PurePosixPath(self.path).name


def load_spec(ref: str) -> LoadedSpec:
    return validate_data(*read_spec(ref))


def read_spec(ref: str) -> tuple[object, Marks, str, str | None, str, tuple]:
    """The merged data (``extends:`` resolved) and its marks, before validation: ``(data, marks, display
    path, built-in name, sha256, files of the extends chain)``. ``archc sweep`` edits this data before :func:`validate_data`."""
    file, shown, builtin = resolve(ref)
    files: list = []
    data, marks, digest = _read_chain(file, shown, [], files)
    return data, marks, shown, builtin, digest.hexdigest(), tuple(files)


def validate_data(
    data: object, marks: Marks, shown: str, builtin: str | None, sha256: str, files: tuple = ()
) -> LoadedSpec:
    """Expand stage generators, validate, and check what the schema cannot (names, widths, groups)."""
    # The generators and the locator of validation errors are imported when a spec needs them (a generator, a
    # mistake), not on every run: `archc cost` on a plain stage table starts faster without them.
    if not isinstance(data, dict):
        from archc.spec.locate import describe

        m = marks.value(())
        raise SpecError(
            [Diagnostic(m.path, m.line, m.col, "E202", f"a spec must be a mapping, got {describe(data)}", _START)]
        )
    if isinstance(data.get("stages"), dict):
        from archc.spec.generators import expand_generators

        data = expand_generators(data, marks)
    key_errors = _metadata_key_errors(data, marks) + _block_name_errors(data, marks)
    try:
        spec = Spec.model_validate(data)
    except ValidationError as exc:
        from archc.spec.locate import to_diagnostics

        raise SpecError(to_diagnostics(exc, data, marks, Spec) + key_errors) from None
    if key_errors:
        raise SpecError(key_errors)
    _unique_stage_names(spec, marks)
    _user_blocks(spec, marks)
    _bottleneck_only(spec, marks)
    _inner_widths(spec, marks)
    _one_attention(spec, marks)
    _timm_block_knobs(spec, marks)
    return LoadedSpec(spec, marks, shown, builtin, sha256, files)


MAPPING_PATH = "<dict>"


def load_mapping(mapping: dict) -> LoadedSpec:
    """A spec given as a dict (the Python API): written out as YAML text and read like a file named
    ``<dict>``, so its diagnostics have lines too; ``extends:`` paths are relative to the working directory."""
    try:
        text = yaml.safe_dump(mapping, sort_keys=False, allow_unicode=True)
    except yaml.YAMLError as exc:
        raise ValueError(f"the spec dict holds a value that is not YAML data: {exc}") from None
    data, marks = parse_yaml(text, MAPPING_PATH)
    digest = hashlib.sha256(text.encode("utf-8"))
    data, marks, digest = _with_parent(data, marks, digest, Path.cwd() / MAPPING_PATH, [])
    return _validated(data, marks, MAPPING_PATH, None, digest)


def _validated(data, marks: Marks, shown: str, builtin: str | None, digest) -> LoadedSpec:
    return validate_data(data, marks, shown, builtin, digest.hexdigest())


def _metadata_key_errors(data: dict, marks: Marks) -> list[Diagnostic]:
    """Free-form metadata keys are lower_snake_case, and not one typo away from a typed key (``top1_eror``
    would otherwise be kept as free text and never reach ``compare``). Read from the raw mapping, so these
    errors come together with the schema's."""
    meta = data.get("metadata")
    if not isinstance(meta, dict):
        return []
    known = sorted(Metadata.model_fields)
    errors = []
    for key in meta:
        if key in known or not isinstance(key, str):
            continue
        import difflib  # here, not at the top: only a free-form metadata key needs it

        where = marks.key(("metadata", key))
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.85)
        if close:
            message = f"unknown metadata key '{key}', a typo of the typed key '{close[0]}'?"
            help = f"did you mean '{close[0]}'? (other free-form keys are fine: paper_params, dataset, …)"
            errors.append(_at(where, "E200", message, help))
        elif not METADATA_KEY.match(key):
            help = "use lower_snake_case: 1-64 of a-z, 0-9 and _, e.g. paper_params"
            errors.append(_at(where, "E203", f"invalid metadata key {key!r}", help))
    return errors


# Options that shape a bottleneck's grouped 3×3 (ResNeXt, Wide ResNet) and mean nothing to other blocks:
# option → its neutral value. torchvision refuses them too ("BasicBlock only supports groups=1 and base_width=64").
_BOTTLENECK_ONLY = {"groups": 1, "base_width": 64}


def _bottleneck_only(spec: Spec, marks: Marks) -> None:
    """``groups`` / ``base_width`` on a basic or single-conv block would be silently ignored or misapplied
    (checked for each stage's block, with the stage's own knobs over the top level's)."""
    errors, seen = [], set()
    for i, stage in enumerate(spec.stages):
        s = spec.at(stage)
        if s.block == "bottleneck":
            continue
        for key, neutral in _BOTTLENECK_ONLY.items():
            value = getattr(s, key)
            where = ("stages", i, key) if getattr(stage, key) is not None else (key,)
            if value == neutral or where in seen:
                continue
            seen.add(where)
            message = f"{key}: {value} applies to a bottleneck block; a {s.block} block supports only {key} {neutral}"
            help = (
                f"use 'block: bottleneck' (ResNeXt: groups 32, base_width 4), or remove '{key}'; "
                f"to widen a {s.block} block, raise the stages' width"
            )
            errors.append(_at(marks.value(where), "E401", message, help))
    if errors:
        raise SpecError(errors)


def _inner_widths(spec: Spec, marks: Marks) -> None:
    """Each block keeps at least one channel, and its 3x3 conv's groups divide the inner width."""
    errors = []
    for i, stage in enumerate(spec.stages):
        problem = _stage_groups_problem(spec, stage)
        if problem is not None:
            key, message, help = problem
            errors.append(_at(marks.value(("stages", i, key)), "E401", message, help))
    if errors:
        raise SpecError(errors)


def _one_attention(spec: Spec, marks: Marks) -> None:
    """A block carries one channel-attention module (timm's ``attn_layer``): SE or ECA, not both."""
    places = [()] if spec.se is not None and spec.eca is not None else []
    places += [
        ("stages", i) for i, st in enumerate(spec.stages) if st.se not in (None, False) and st.eca not in (None, False)
    ]
    for place in places[:1]:
        se, eca = marks.key((*place, "se")), marks.key((*place, "eca"))
        where = f"line {se.line}" if se.path == eca.path else f"{se.path}:{se.line}"
        message = f"a block takes one attention module: 'eca' here and 'se' at {where}"
        help = "remove 'se:' or 'eca:' (timm's blocks have one attn_layer; ecaresnet* use ECA, seresnet* SE)"
        raise SpecError([_at(eca, "E401", message, help)])


def _timm_block_knobs(spec: Spec, marks: Marks) -> None:
    """``aa``, ``reduce_first`` and ``projection_kernel`` shape timm's ResNet blocks: anywhere else (a RegNet or
    ConvNeXt, a 'blocks:' recipe, a single-conv block, a pooled projection) they would be silently ignored."""
    given = [
        k for k, neutral in (("aa", None), ("reduce_first", 1), ("projection_kernel", 1)) if getattr(spec, k) != neutral
    ]
    kinds = {spec.at(stage).block for stage in spec.stages}
    for key in given:
        problem = f"family: {spec.family}" if spec.family != "resnet" else None
        problem = problem or next((f"block: {k}" for k in sorted(kinds) if k not in ("basic", "bottleneck")), None)
        if key == "projection_kernel" and spec.projection_stride == "avgpool":
            problem = problem or "projection_stride: avgpool (the pooled projection's conv is 1x1)"
        if problem is not None:
            message = f"'{key}' applies to the basic and bottleneck blocks of a ResNet, not with {problem}"
            raise SpecError([_at(marks.value((key,)), "E401", message, f"remove '{key}'")])


_GROUP_KEYS = ("groups", "group_width", "bottleneck_ratio")


def _stage_groups_problem(spec: Spec, stage) -> tuple[str, str, str] | None:
    """``(key, message, help)`` of what is wrong with a stage's inner width and groups, or None."""
    given = [k for k in _GROUP_KEYS if getattr(stage, k) is not None]
    spec = spec.at(stage)
    if spec.block in spec.blocks and not given:
        return None  # a user block's widths are checked when its blocks are planned
    if given and spec.block not in GROUPED:
        return given[0], f"'{given[0]}' needs a bottleneck block (a {spec.block} block has no grouped 3x3)", _BOTTLE
    if stage.groups is not None and stage.group_width is not None:
        return "group_width", "give a stage 'groups' or 'group_width', not both", "remove one of them"
    inner, groups = stage_widths(spec, stage)
    if inner < 1:
        if stage.bottleneck_ratio is not None:
            message = f"inner width round({stage.width} × bottleneck_ratio {stage.bottleneck_ratio}) is 0 channels"
            return "bottleneck_ratio", message, "use a larger bottleneck_ratio or width"
        message = (
            f"inner width int({stage.width} × base_width {spec.base_width} / 64) × groups {spec.groups} is 0 channels"
        )
        help = "use a larger width or base_width (ResNeXt-50 32x4d: width 64, groups 32, base_width 4)"
        return "width", message, help
    if stage.group_width is not None and (groups < 1 or inner % stage.group_width):
        message = f"group_width {stage.group_width} does not divide the inner width {inner}"
        return "group_width", message, "use a group width that divides the inner width (RegNet quantises widths so)"
    if inner % groups:
        message = f"groups {groups} do not divide the inner width {inner}"
        return "groups" if stage.groups is not None else "width", message, "use groups that divide the inner width"
    return None


_BOTTLE = "use 'block: bottleneck', or remove the key"


def _block_name_errors(data: dict, marks: Marks) -> list[Diagnostic]:
    """Every ``block:`` names a built-in kind or a ``blocks:`` recipe (read from the raw mapping, so these
    errors come together with the schema's)."""
    blocks = data.get("blocks")
    known = [*BUILTIN_KINDS, *(k for k in blocks if isinstance(k, str))] if isinstance(blocks, dict) else BUILTIN_KINDS
    stages = data.get("stages") if isinstance(data.get("stages"), list) else []
    places = [(("block",), data.get("block"))]
    places += [(("stages", i, "block"), s.get("block")) for i, s in enumerate(stages) if isinstance(s, dict)]
    return [
        _at(marks.value(path), "E203", f"invalid value '{name}' for 'block'", did_you_mean(name, known))
        for path, name in places
        if isinstance(name, str) and name not in known and METADATA_KEY.match(name)  # else the schema says why
    ]


def _user_blocks(spec: Spec, marks: Marks) -> None:
    """Every ``blocks:`` recipe reads known names and its steps make sense together."""
    errors = []
    for name in spec.blocks:
        if name in BUILTIN_KINDS:
            errors.append(_at(marks.key(("blocks", name)), "E203", f"'{name}' is a built-in block kind",
                              "give your block another name"))  # fmt: skip
        for path, message, help in user_blocks.problems(name, spec.blocks[name]):
            errors.append(_at(marks.value(path), "E401", message, help))
    if errors:
        raise SpecError(errors)


def _unique_stage_names(spec: Spec, marks: Marks) -> None:
    """Stage names become names in generated code and reports: two stages may not share one."""
    first: dict[str, int] = {}
    errors = []
    for i, stage in enumerate(spec.stages):
        if stage.name in first:
            line = marks.value(("stages", first[stage.name], "name")).line
            message = f"duplicate stage name '{stage.name}' (first used at line {line})"
            help = "give every stage its own name, e.g. conv2, conv3, …"
            errors.append(_at(marks.value(("stages", i, "name")), "E203", message, help))
        first.setdefault(stage.name, i)
    if errors:
        raise SpecError(errors)


_START = "start the file with 'archc: 1', 'name: …', 'block: …' and a 'stages:' table"


def _read_chain(file: Path, shown: str, stack: list[Path], files: list | None = None):
    data, marks = read_yaml(str(file), located_name(file, shown))
    raw = file.read_bytes()
    digest = hashlib.sha256(raw)
    if files is not None:  # the extends chain, child first: (absolute path, sha256 of its bytes)
        files.append((str(file.resolve()), hashlib.sha256(raw).hexdigest()))
    return _with_parent(data, marks, digest, file, stack, files)


def _with_parent(data, marks: Marks, digest, file: Path, stack: list[Path], files: list | None = None):
    """Merge the spec ``extends:`` names (if any) under ``data``; ``file`` is where ``data`` was read."""
    if not isinstance(data, dict) or "extends" not in data:
        return data, marks, digest
    target = data["extends"]
    mark = marks.value(("extends",))
    parent_file, parent_shown = _extends_target(target, file, mark)
    if parent_file.resolve() in [p.resolve() for p in stack + [file]]:
        chain = " -> ".join(p.name for p in stack + [file, parent_file])
        raise SpecError([_at(mark, "E301", f"extends: cycle {chain}", "remove the extends: that closes the cycle")])
    if len(stack) + 1 >= LIMITS.max_extends_depth:
        raise SpecError([_at(mark, "E301", f"extends: chain longer than {LIMITS.max_extends_depth}", _CHAIN_HELP)])
    base, base_marks, base_digest = _read_chain(parent_file, parent_shown, stack + [file], files)
    if not isinstance(base, dict):
        raise SpecError([_at(mark, "E300", f"extends: '{target}' is not a mapping", "extend a spec file")])
    digest.update(base_digest.digest())
    del data["extends"]
    merged, merged_marks = _merge(base, base_marks, data, marks)
    return merged, merged_marks, digest


def _extends_target(target: object, file: Path, mark: Mark) -> tuple[Path, str]:
    if not isinstance(target, str) or not target:
        from archc.spec.locate import describe

        raise SpecError([_at(mark, "E202", f"'extends' must be a string, got {describe(target)}", _EXT_HELP)])
    if target.endswith((".yaml", ".yml")):
        candidate = file.parent / target
        if candidate.is_file():
            return candidate, display_path(candidate)
    elif _BUILTIN_NAME.match(target) and not walkthrough(target) and (specs_dir() / f"{target}.yaml").is_file():
        return specs_dir() / f"{target}.yaml", f"specs/{target}.yaml"
    import difflib  # an error path

    close = difflib.get_close_matches(target, builtin_names(), n=1, cutoff=0.6)
    if target.endswith((".yaml", ".yml")):
        help = _EXT_HELP
    elif target.rpartition("/")[2] in {n.rpartition("/")[2] for n in builtin_names()} or close:
        help = closest_builtins(target)
    else:
        help = _EXT_HELP
    raise SpecError([_at(mark, "E300", f"extends: '{target}' not found", help)])


_CHAIN_HELP = "extend a spec nearer the root; limit: ARCHC_MAX_EXTENDS_DEPTH (README 'Limits')"
_EXT_HELP = "give a path relative to this file ending in .yaml, or a built-in name such as 'resnet50'"


def _at(mark: Mark, code: str, message: str, help: str) -> Diagnostic:
    return Diagnostic(mark.path, mark.line, mark.col, code, message, help)


def _merge(base: dict, base_marks: Marks, child: dict, child_marks: Marks, prefix: tuple = ()):
    """Deep-merge ``child`` over ``base``: mappings merge key by key, anything else replaces."""
    out = dict(base)
    marks = base_marks if prefix else _copy(base_marks)
    for key, value in child.items():
        path = prefix + (key,)
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key], _ = _merge(out[key], marks, value, child_marks, path)
            marks.values[path] = child_marks.values[path]
            marks.keys[path] = child_marks.keys[path]
            continue
        out[key] = value
        marks.drop_under(path)
        for table, source in ((marks.values, child_marks.values), (marks.keys, child_marks.keys)):
            for p, m in source.items():
                if p[: len(path)] == path:
                    table[p] = m
    return out, marks


def _copy(marks: Marks) -> Marks:
    return Marks(dict(marks.values), dict(marks.keys))
