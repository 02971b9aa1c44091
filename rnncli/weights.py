"""Where a model's parameters come from: a breakdown per layer, per direction and per gate.

Data model (rendering-neutral; the CLI renders it as a table or JSON):

- ``WeightReport``: ``layers`` (tuple of LayerReport, in model order, only layers with
  weights), ``total`` (int, equals ``model.count_params()``) and ``formula`` (the layer totals
  as a sum, e.g. "5120 + 33").
- ``LayerReport``: ``name`` (Keras layer name), ``kind`` ("recurrent" | "dense" | "other"),
  ``class_name`` ("LSTM", "Bidirectional(GRU)", "Dense", ...), ``parts`` (tuple of Part) and
  ``total`` (int) with ``formula`` ("2 × 96" for two directions, else the part's formula).
- ``Part``: one weight set. For recurrent layers one per direction, ``direction`` is
  "forward" / "backward" inside Bidirectional and "" otherwise; dense and other layers have
  one part with direction "". ``cell`` ("lstm" | "gru" | "simple_rnn" | "" for non-recurrent),
  ``gates`` (names in Keras's column order: LSTM input, forget, cell, output; GRU update,
  reset, candidate; SimpleRNN hidden; () for non-recurrent), ``input_dim`` and ``units``
  (Dense: inputs and outputs; 0 for other layers), ``tensors`` (tuple of TensorCount),
  ``total`` (int) and ``formula`` (e.g. "24 + 48 + 24").
- ``TensorCount``: ``name`` ("kernel" | "recurrent_kernel" | "bias", or the weight's name for
  other layers), ``shape`` (tuple of int), ``count`` (int, the product of ``shape``),
  ``formula`` (e.g. "7 × 32 × 4" = input_dim × units × gates; "2 × 4 × 3" for a GRU bias),
  ``note`` (a short explanation, "" if none, e.g. GRU's separate input and recurrent bias)
  and ``value`` (the numpy array; not shown in repr, only exported with values=True).

``report_to_dict(report, values=True)`` adds to each recurrent part ``"values": {gate:
{"kernel": [[...]], "recurrent_kernel": [[...]], "bias": [...]}}`` with the per-gate blocks
(columns g*units:(g+1)*units; a GRU bias block is [input bias row, recurrent bias row]) and to
each other part ``"values": {tensor name: nested lists}``; ``Part.per_gate()`` gives the same
blocks as numpy arrays. Parts in the dict also carry ``n_gates``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import keras

    from rnncli.engine import NetworkSpec

GATES: dict[str, tuple[str, ...]] = {
    "lstm": ("input", "forget", "cell", "output"),
    "gru": ("update", "reset", "candidate"),
    "simple_rnn": ("hidden",),
}


@dataclass(frozen=True)
class TensorCount:
    name: str
    shape: tuple[int, ...]
    count: int
    formula: str
    note: str = ""
    value: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False, compare=False)


@dataclass(frozen=True)
class Part:
    direction: str
    cell: str
    gates: tuple[str, ...]
    input_dim: int
    units: int
    tensors: tuple[TensorCount, ...]
    total: int
    formula: str

    def per_gate(self) -> dict[str, dict[str, np.ndarray]]:
        """The recurrent weights split per gate: {gate: {tensor name: block}}."""
        out: dict[str, dict[str, np.ndarray]] = {}
        for g, gate in enumerate(self.gates):
            cols = slice(g * self.units, (g + 1) * self.units)
            out[gate] = {t.name: t.value[..., cols] for t in self.tensors}
        return out


@dataclass(frozen=True)
class LayerReport:
    name: str
    kind: str
    class_name: str
    parts: tuple[Part, ...]
    total: int
    formula: str


@dataclass(frozen=True)
class WeightReport:
    layers: tuple[LayerReport, ...]
    total: int
    formula: str


def _times(*factors: int) -> str:
    return " × ".join(str(f) for f in factors)


def _plus(counts: list[int]) -> str:
    return " + ".join(str(c) for c in counts)


def _part(
    direction: str,
    cell: str,
    gates: tuple[str, ...],
    input_dim: int,
    units: int,
    tensors: list[TensorCount],
) -> Part:
    counts = [t.count for t in tensors]
    return Part(
        direction, cell, gates, input_dim, units, tuple(tensors), sum(counts), _plus(counts)
    )


def _cell_kind(layer: Any) -> str | None:
    import keras

    for kind, cls in (
        ("lstm", keras.layers.LSTM),
        ("gru", keras.layers.GRU),
        ("simple_rnn", keras.layers.SimpleRNN),
    ):
        if isinstance(layer, cls):
            return kind
    return None


def _recurrent_part(layer: Any, kind: str, direction: str) -> Part:
    cell = layer.cell
    bias = None
    if getattr(cell, "use_bias", True) and getattr(cell, "bias", None) is not None:
        bias = np.asarray(cell.bias.numpy())
    return recurrent_part(
        np.asarray(cell.kernel.numpy()), np.asarray(cell.recurrent_kernel.numpy()), bias, kind,
        direction,
    )  # fmt: skip


def recurrent_part(
    kernel: np.ndarray, recurrent: np.ndarray, bias: np.ndarray | None, kind: str, direction: str
) -> Part:
    """One direction of a recurrent layer from its arrays (Keras layout)."""
    gates = GATES[kind]
    n_gates = len(gates)
    units = int(recurrent.shape[0])
    input_dim = int(kernel.shape[0])
    tensors = [
        TensorCount("kernel", kernel.shape, kernel.size, _times(input_dim, units, n_gates),
                    "input weights W (input_dim × units × gates)", kernel),
        TensorCount("recurrent_kernel", recurrent.shape, recurrent.size,
                    _times(units, units, n_gates),
                    "recurrent weights U (units × units × gates)", recurrent),
    ]  # fmt: skip
    if bias is not None:
        if bias.ndim == 2:
            formula = _times(bias.shape[0], units, n_gates)
            note = "input bias + recurrent bias (GRU reset_after=True), so the count doubles"
        else:
            formula = _times(units, n_gates)
            note = "bias b (units × gates)"
        tensors.append(TensorCount("bias", bias.shape, bias.size, formula, note, bias))
    return _part(direction, kind, gates, input_dim, units, tensors)


def _generic_part(layer: Any, dense: bool) -> Part:
    tensors = []
    for w in layer.weights:
        value = np.asarray(w.numpy())
        shape = tuple(int(d) for d in value.shape)
        name = str(getattr(w, "name", "")).rsplit("/", 1)[-1]
        if dense and name == "kernel":
            note = "weights (inputs × outputs)"
        elif dense and name == "bias":
            note = "one bias per output"
        else:
            note = ""
        tensors.append(
            TensorCount(name, shape, math.prod(shape), _times(*shape) or "1", note, value)
        )
    in_out = tensors[0].shape if dense and tensors and len(tensors[0].shape) == 2 else (0, 0)
    return _part("", "", (), in_out[0], in_out[1], tensors)


def _layer_report(layer: Any) -> LayerReport:
    import keras

    name = str(layer.name)
    if isinstance(layer, keras.layers.Bidirectional):
        fwd, bwd = layer.forward_layer, layer.backward_layer
        kind_f, kind_b = _cell_kind(fwd), _cell_kind(bwd)
        if kind_f is not None and kind_b is not None:
            parts = (
                _recurrent_part(fwd, kind_f, "forward"),
                _recurrent_part(bwd, kind_b, "backward"),
            )
            total = sum(p.total for p in parts)
            if parts[0].total == parts[1].total:
                formula = _times(2, parts[0].total)
            else:
                formula = _plus([p.total for p in parts])
            class_name = f"Bidirectional({type(fwd).__name__})"
            return LayerReport(name, "recurrent", class_name, parts, total, formula)
    kind = _cell_kind(layer)
    if kind is not None:
        part = _recurrent_part(layer, kind, "")
        return LayerReport(name, "recurrent", type(layer).__name__, (part,), part.total,
                           part.formula)  # fmt: skip
    dense = isinstance(layer, keras.layers.Dense)
    part = _generic_part(layer, dense)
    return LayerReport(name, "dense" if dense else "other", type(layer).__name__, (part,),
                       part.total, part.formula)  # fmt: skip


def breakdown(model: keras.Model) -> WeightReport:
    """Count `model`'s parameters per layer, direction and gate (all weights, as count_params)."""
    layers = tuple(_layer_report(layer) for layer in model.layers if layer.weights)
    totals = [layer.total for layer in layers]
    return WeightReport(layers=layers, total=sum(totals), formula=_plus(totals) or "0")


CLASS_NAMES = {"simple_rnn": "SimpleRNN", "lstm": "LSTM", "gru": "GRU"}


def _dense_part(kernel: np.ndarray, bias: np.ndarray) -> Part:
    tensors = [
        TensorCount("kernel", kernel.shape, kernel.size, _times(*kernel.shape),
                    "weights (inputs × outputs)", kernel),
        TensorCount("bias", bias.shape, bias.size, _times(*bias.shape), "one bias per output",
                    bias),
    ]  # fmt: skip
    return _part("", "", (), int(kernel.shape[0]), int(kernel.shape[1]), tensors)


def breakdown_arrays(network: NetworkSpec, arrays: Mapping[str, np.ndarray]) -> WeightReport:
    """The same report as `breakdown`, from the framework-free weights (no TensorFlow).

    Layer names are those `network.build_model` gives the Keras layers.
    """
    cell = network.cell
    layers = []
    for i in range(1, network.layers + 1):
        parts = tuple(
            recurrent_part(
                arrays[f"rnn{i}/{d}/kernel"],
                arrays[f"rnn{i}/{d}/recurrent_kernel"],
                arrays[f"rnn{i}/{d}/bias"],
                cell,
                d if network.bidirectional else "",
            )
            for d in network.directions
        )
        total = sum(p.total for p in parts)
        if network.bidirectional:
            name, class_name = f"bidirectional_{cell}_{i}", f"Bidirectional({CLASS_NAMES[cell]})"
            formula = _times(2, parts[0].total)
        else:
            name, class_name, formula = f"{cell}_{i}", CLASS_NAMES[cell], parts[0].formula
        layers.append(LayerReport(name, "recurrent", class_name, parts, total, formula))
    if "future/kernel" in arrays:  # known-future inputs' tanh layer
        dense = _dense_part(arrays["future/kernel"], arrays["future/bias"])
        layers.append(
            LayerReport("future_dense", "dense", "Dense", (dense,), dense.total, dense.formula)
        )
    head = _dense_part(arrays["head/kernel"], arrays["head/bias"])
    layers.append(LayerReport("head", "dense", "Dense", (head,), head.total, head.formula))
    totals = [layer.total for layer in layers]
    return WeightReport(layers=tuple(layers), total=sum(totals), formula=_plus(totals))


def _part_dict(part: Part, values: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "direction": part.direction,
        "cell": part.cell,
        "gates": list(part.gates),
        "n_gates": len(part.gates),
        "input_dim": part.input_dim,
        "units": part.units,
        "tensors": [
            {"shape": list(t.shape)}
            | {k: getattr(t, k) for k in ("name", "count", "formula", "note")}
            for t in part.tensors
        ],
        "total": int(part.total),
        "formula": part.formula,
    }
    if values:
        if part.gates:
            out["values"] = {
                gate: {name: block.tolist() for name, block in blocks.items()}
                for gate, blocks in part.per_gate().items()
            }
        else:
            out["values"] = {t.name: t.value.tolist() for t in part.tensors}
    return out


def report_to_dict(report: WeightReport, values: bool = False) -> dict[str, Any]:
    """JSON-ready form of `report` (lists, ints, floats, strings); see the module docstring."""
    return {
        "layers": [
            {
                "name": layer.name,
                "kind": layer.kind,
                "class_name": layer.class_name,
                "parts": [_part_dict(p, values) for p in layer.parts],
                "total": int(layer.total),
                "formula": layer.formula,
            }
            for layer in report.layers
        ],
        "total": int(report.total),
        "formula": report.formula,
    }


__all__ = [
    "GATES",
    "LayerReport",
    "Part",
    "TensorCount",
    "WeightReport",
    "breakdown",
    "report_to_dict",
]


def rows(report: WeightReport) -> list[dict[str, Any]]:
    """One row per weight tensor, a total per layer and a grand total (for tables and CSV)."""
    out: list[dict[str, Any]] = []
    for layer in report.layers:
        for part in layer.parts:
            where = f"{layer.name}" + (f" ({part.direction})" if part.direction else "")
            gates = ", ".join(part.gates) if part.gates else ""
            for t in part.tensors:
                out.append(
                    {
                        "layer": where,
                        "class": layer.class_name,
                        "gates": gates,
                        "weights": t.name,
                        "shape": " × ".join(map(str, t.shape)),
                        "formula": t.formula,
                        "params": t.count,
                        "note": t.note,
                    }
                )
        out.append(
            {
                "layer": layer.name,
                "class": "layer total",
                "formula": layer.formula,
                "params": layer.total,
            }
        )
    out.append(
        {"layer": "all", "class": "grand total", "formula": report.formula, "params": report.total}
    )
    return out


def format_values(report: WeightReport, precision: int = 4) -> str:
    """The weight matrices as text, split per gate for recurrent layers."""
    lines: list[str] = []
    with np.printoptions(precision=precision, suppress=True, linewidth=100):
        for layer in report.layers:
            for part in layer.parts:
                head = layer.name + (f" ({part.direction})" if part.direction else "")
                if part.gates:
                    for gate, tensors in part.per_gate().items():
                        for name, block in tensors.items():
                            lines.append(f"{head} · gate {gate} · {name} {block.shape}:")
                            lines.append(str(block))
                else:
                    for t in part.tensors:
                        lines.append(f"{head} · {t.name} {t.value.shape}:")
                        lines.append(str(t.value))
    return "\n".join(lines)
