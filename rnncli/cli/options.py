"""Option types shared by the commands: enums and Annotated aliases, each defined once.

Help panels (`rich_help_panel=`; --help shows one section per panel, in this order): reuse
these names for a new option, so that the commands group alike:
  DATA_PANEL "Data"                  columns, filling: what is read from the CSV
  WINDOW_PANEL "Windows and splits"  look-back, horizon, parts, transform, scaling, season
  MODEL_PANEL "Model"                the network
  TRAIN_PANEL "Training"             optimiser, epochs, ensemble, seed, device
  FORECAST_PANEL "Forecast"          what predict/evaluate compute: steps, intervals, engine
  OUTPUT_PANEL "Output"              where and how results go: --out, --format, --plot
  GENERAL_PANEL "Options"            the rest (--config, --help)
Placeholders are derived from the type (INTEGER, FLOAT, PATH, FILE, [a|b]) by
cli/helpformat.py; column options say COLUMN. Choices are case-insensitive (case_sensitive=False).
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from rnncli.calendar import CALENDAR_NAMES


class Format(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


class Engine(str, Enum):
    numpy = "numpy"
    keras = "keras"


class Cell(str, Enum):
    simple_rnn = "simple_rnn"
    simple = "simple"
    lstm = "lstm"
    gru = "gru"


class Scale(str, Enum):
    auto = "auto"
    standard = "standard"
    minmax = "minmax"
    none = "none"


class Pad(str, Enum):
    pre = "pre"
    post = "post"


class Fill(str, Enum):
    ffill = "ffill"
    interpolate = "interpolate"
    drop = "drop"


DATA_PANEL = "Data"
WINDOW_PANEL = "Windows and splits"
MODEL_PANEL = "Model"
TRAIN_PANEL = "Training"
FORECAST_PANEL = "Forecast"
OUTPUT_PANEL = "Output"
GENERAL_PANEL = "Options"
PANELS = (DATA_PANEL, WINDOW_PANEL, MODEL_PANEL, TRAIN_PANEL, FORECAST_PANEL, OUTPUT_PANEL)


class Activation(str, Enum):
    tanh = "tanh"
    relu = "relu"
    linear = "linear"


class Padding(str, Enum):
    mask = "mask"
    zeros = "zeros"


class Optimizer(str, Enum):
    adam = "adam"
    rmsprop = "rmsprop"
    sgd = "sgd"


class Transform(str, Enum):
    auto = "auto"
    log = "log"
    none = "none"


class Deseasonalize(str, Enum):
    auto = "auto"
    yes = "yes"
    none = "none"


class SeriesWeight(str, Enum):
    scaled = "scaled"
    equal = "equal"
    none = "none"


class Loss(str, Enum):
    mse = "mse"
    mae = "mae"
    huber = "huber"


class Device(str, Enum):
    auto = "auto"
    cpu = "cpu"
    gpu = "gpu"


class Distribute(str, Enum):
    none = "none"
    mirrored = "mirrored"
    multiworker = "multiworker"


class CalibrateOn(str, Enum):
    val = "val"
    train = "train"


class Normalize(str, Enum):
    none = "none"
    last = "last"


def opt(help_text: str, panel: str, **kw: Any) -> Any:
    return typer.Option(help=help_text, rich_help_panel=panel, case_sensitive=False, **kw)


# ---- options shared by ingest and train (defined once) ----------------------------------------

DataArg = Annotated[
    str,
    typer.Argument(
        help="CSV (.csv, .csv.gz; comma, ; or tab separated) or Parquet file, or - for stdin.",
        metavar="DATA",
    ),
]
TimeCol = Annotated[
    str | None,
    typer.Option(
        help="Time column (default: 'ds' in the long layout unique_id,ds,y, else the first "
        "column that parses as dates).",
        metavar="COLUMN",
        rich_help_panel=DATA_PANEL,
    ),
]
TimeFormat = Annotated[
    str | None,
    typer.Option(
        "--time-format",
        metavar="FORMAT",
        help="strftime codes of the time column, e.g. %Y%m%d for 20010127 (numbers) or "
        "%d.%m.%Y; recorded in the model, so predict and evaluate read it the same way.",
        rich_help_panel=DATA_PANEL,
    ),
]
Target = Annotated[
    list[str] | None,
    typer.Option(
        help="Column to forecast; repeat for several (default: the only numeric "
        "column, else one named close/price/value/y).",
        metavar="COLUMN",
        rich_help_panel=DATA_PANEL,
    ),
]
Features = Annotated[
    list[str] | None,
    typer.Option(
        help="Past-only input column (observed up to the forecast origin, e.g. a measured "
        "temperature; Darts' past covariates, NeuralForecast's hist_exog); repeat for several "
        "(default: the targets only).",
        metavar="COLUMN",
        rich_help_panel=DATA_PANEL,
    ),
]
Known = Annotated[
    list[str] | None,
    typer.Option(
        "--known",
        metavar="COLUMN",
        help="Known-future input column (its values are known in advance: holidays, a price "
        "set ahead, a weather forecast; Darts' future covariates, NeuralForecast's "
        "futr_exog): read over the look-back and at every forecast step; predict takes its "
        "future values from --future. Repeat for several.",
        rich_help_panel=DATA_PANEL,
    ),
]
CalendarOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--calendar",
        metavar="NAMES",
        help="Known-future inputs computed from the time stamps, as cyclic sin/cos pairs: a "
        "comma-separated list of " + ", ".join(CALENDAR_NAMES) + " (no future file needed).",
        rich_help_panel=DATA_PANEL,
    ),
]
IdCol = Annotated[
    str | None,
    typer.Option(
        help="Series id column of a long panel of many series (default: 'unique_id' in the "
        "long layout unique_id,ds,y).",
        metavar="COLUMN",
        rich_help_panel=DATA_PANEL,
    ),
]
FillOpt = Annotated[
    Fill | None,
    typer.Option(
        help="Fill missing values (default: refuse them).",
        case_sensitive=False,
        rich_help_panel=DATA_PANEL,
    ),
]
LookBack = Annotated[
    int | None,
    typer.Option(
        help="Past steps the model sees [default: 1.25 x the longer of horizon and season].",
        min=1,
        rich_help_panel=WINDOW_PANEL,
    ),
]
Horizon = Annotated[
    int | None,
    typer.Option(help="Steps forecast at once [default: 1].", min=1, rich_help_panel=WINDOW_PANEL),
]
Stride = Annotated[
    int | None,
    typer.Option(
        help="Steps between window origins [default: 1].", min=1, rich_help_panel=WINDOW_PANEL
    ),
]
MinLookBack = Annotated[
    int | None,
    typer.Option(
        help="Fewest real steps in a window; shorter histories are padded and masked [default: 1].",
        min=1,
        rich_help_panel=WINDOW_PANEL,
    ),
]
PadOpt = Annotated[
    Pad | None,
    typer.Option(
        help="Side of the padding in short windows [default: post].",
        case_sensitive=False,
        rich_help_panel=WINDOW_PANEL,
    ),
]
ValSize = Annotated[
    float | None,
    typer.Option(
        help="Validation part: a fraction (<1) or a count of final steps per series "
        "[default: one horizon for a panel of 100+ series, else the larger of the horizon "
        "and 10 %; none for a series too short to keep a training window].",
        min=0,
        rich_help_panel=WINDOW_PANEL,
    ),
]
TestSize = Annotated[
    float | None,
    typer.Option(
        help="Test part: a fraction (<1) or a count of final steps per series [default: none "
        "for a panel of 100+ series, else as --val-size].",
        min=0,
        rich_help_panel=WINDOW_PANEL,
    ),
]
ScaleOpt = Annotated[
    Scale | None,
    typer.Option(
        help="Scaling fitted on each series' training part [default: auto: none for logged "
        "targets, divided by their mean |value| otherwise; features standardised].",
        case_sensitive=False,
        rich_help_panel=WINDOW_PANEL,
    ),
]
TransformOpt = Annotated[
    Transform | None,
    typer.Option(
        help="Transform of the targets before anything else [default: auto: log when every "
        "training value is positive].",
        case_sensitive=False,
        rich_help_panel=WINDOW_PANEL,
    ),
]
DeseasonalizeOpt = Annotated[
    Deseasonalize | None,
    typer.Option(
        help="Remove each series' seasonal pattern (fitted on its rows before the test part) "
        "and add it back to the forecast [default: auto: with 2+ seasons of data and a "
        "seasonal strength of 0.1+; with fewer than 200 training windows seasonal differences "
        "instead; yes: always].",
        case_sensitive=False,
        rich_help_panel=WINDOW_PANEL,
    ),
]
SEASON_DEFAULT = (
    "[default: from the time frequency: 12 monthly, 4 quarterly, 7 daily, 5 business-daily, "
    "24 hourly, else 1]."
)
SeasonOpt = Annotated[
    int | None,
    typer.Option(
        "--season",
        help="Seasonal period " + SEASON_DEFAULT,
        min=1,
        rich_help_panel=WINDOW_PANEL,
    ),
]
Difference = Annotated[
    int | None,
    typer.Option(
        help="Forecast the targets' lag-N differences y[t] - y[t-N] (after --transform; e.g. "
        "12 for a monthly season) and add them back [default: off, or the season with "
        "fewer than 200 training windows].",
        min=1,
        rich_help_panel=WINDOW_PANEL,
    ),
]
SkipShort = Annotated[
    bool | None,
    typer.Option(
        "--skip-short",
        help="Skip series too short for one window (with a warning).",
        rich_help_panel=WINDOW_PANEL,
    ),
]
ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", help="YAML file of options (flags override it).", dir_okay=False),
]
FormatOpt = Annotated[
    Format,
    typer.Option(
        "--format", "-f", help="Output format.", case_sensitive=False, rich_help_panel=OUTPUT_PANEL
    ),
]


EngineOpt = Annotated[
    Engine,
    typer.Option(
        "--engine",
        help="What runs the network: numpy (no TensorFlow: fast start-up) or keras "
        "(loads model.keras). A model without weights.npz runs on keras.",
        case_sensitive=False,
        rich_help_panel=FORECAST_PANEL,
    ),
]

ModelDir = Annotated[
    Path, typer.Argument(help="Model directory made by 'rnncli train'.", metavar="MODEL_DIR")
]


# ---- train: model and training options ----------------------------------------------------

CellOpt = Annotated[Cell | None, opt("Recurrent cell [default: lstm].", MODEL_PANEL)]

UnitsOpt = Annotated[int | None, opt("Units per layer [default: 64].", MODEL_PANEL, min=1)]

LayersOpt = Annotated[int | None, opt("Stacked recurrent layers [default: 1].", MODEL_PANEL, min=1)]

BidirectionalOpt = Annotated[
    bool | None,
    opt("Read each window both ways.", MODEL_PANEL),
]

ActivationOpt = Annotated[Activation | None, opt("Cell activation [default: tanh].", MODEL_PANEL)]

DropoutOpt = Annotated[
    float | None, opt("Input dropout [default: 0].", MODEL_PANEL, min=0, max=0.99)
]

RecurrentDropoutOpt = Annotated[
    float | None,
    opt("Recurrent-state dropout (slow on GPU) [default: 0].", MODEL_PANEL, min=0, max=0.99),
]

PaddingOpt = Annotated[
    Padding | None,
    opt(
        "Padded windows: pass the mask to the cells, or plain zeros [default: mask].",
        MODEL_PANEL,
    ),
]

NormalizeOpt = Annotated[
    Normalize | None,
    opt(
        "Subtract each window's last value from its targets (and add it back to the "
        "forecast) [default: last].",
        WINDOW_PANEL,
    ),
]

OptimizerOpt = Annotated[Optimizer | None, opt("Optimizer [default: adam].", TRAIN_PANEL)]

LearningRateOpt = Annotated[
    float | None, opt("Learning rate [default: 0.001].", TRAIN_PANEL, min=0)
]

LossOpt = Annotated[Loss | None, opt("Loss [default: mae].", TRAIN_PANEL)]

SeriesWeightOpt = Annotated[
    SeriesWeight | None,
    opt(
        "Weight of each window in the loss: scaled (every series counts equally, in MASE's "
        "units), equal (every series counts equally), none [default: scaled].",
        TRAIN_PANEL,
    ),
]

RefitOpt = Annotated[
    bool | None,
    typer.Option(
        "--refit/--no-refit",
        help="After early stopping and scoring, 3 more epochs on the training and validation "
        "windows, so the saved model knows the latest data before the test part (which stays "
        "held out) [default: refit with 200+ training windows].",
        rich_help_panel=TRAIN_PANEL,
    ),
]

EnsembleOpt = Annotated[
    int | None,
    opt(
        "Train N members (seeds seed, seed+1, ...) and forecast their median [default: 5].",
        TRAIN_PANEL,
        min=1,
    ),
]

JobsOpt = Annotated[
    int | None,
    opt(
        "Train the members in N processes side by side (the same weights as one by one) "
        "[default: one per core for a small network on a CPU with 5,000+ training windows, "
        "else 1].",
        TRAIN_PANEL,
        min=1,
    ),
]

EpochsOpt = Annotated[int | None, opt("Maximum epochs [default: 100].", TRAIN_PANEL, min=1)]

BatchSizeOpt = Annotated[
    int | None,
    opt("Windows per batch [default: an eighth of the windows, 8 to 128].", TRAIN_PANEL, min=1),
]

PatienceOpt = Annotated[
    int | None,
    opt(
        "Stop after this many epochs without a better val_loss; 0 = never [default: 10].",
        TRAIN_PANEL,
        min=0,
    ),
]

ClipnormOpt = Annotated[
    float | None, opt("Clip each gradient's norm [default: 1.0].", TRAIN_PANEL, min=0)
]

ClipvalueOpt = Annotated[
    float | None, opt("Clip gradient values [default: off].", TRAIN_PANEL, min=0)
]

SeedOpt = Annotated[int | None, opt("Random seed [default: 42].", TRAIN_PANEL)]

DeviceOpt = Annotated[Device | None, opt("Where to train [default: auto].", TRAIN_PANEL)]

XlaOpt = Annotated[
    bool | None,
    typer.Option(
        "--xla/--no-xla",
        help="Compile the training step with XLA; --no-xla turns TensorFlow's op determinism "
        "on instead [default: XLA on a CPU, except with --distribute mirrored].",
        rich_help_panel=TRAIN_PANEL,
    ),
]

DistributeOpt = Annotated[
    Distribute | None,
    opt(
        "none: one device; mirrored: all local GPUs; multiworker: the machines in TF_CONFIG "
        "(run the same command on each; the chief saves) [default: none].",
        TRAIN_PANEL,
    ),
]

CalibrateOnOpt = Annotated[
    CalibrateOn | None,
    opt(
        "Windows that calibrate the prediction intervals: val (never fitted) or train "
        "(labelled: too narrow) [default: val].",
        TRAIN_PANEL,
    ),
]

PlotSeriesOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--series",
        help="Series to draw with --plot (its id); repeat for several [default: the first 6].",
        metavar="ID",
        rich_help_panel=OUTPUT_PANEL,
    ),
]

SkipInvalid = Annotated[
    bool,
    typer.Option(
        "--skip-invalid",
        help="Leave out the series that cannot be forecast (too short, a gap in the last "
        "look-back) and forecast the rest; one stderr line counts them [default: such a "
        "series fails the run].",
        rich_help_panel=FORECAST_PANEL,
    ),
]
ListSkipped = Annotated[
    bool,
    typer.Option(
        "--verbose",
        "-v",
        help="List the ids of the series --skip-invalid left out, with the reason for each.",
        rich_help_panel=OUTPUT_PANEL,
    ),
]
