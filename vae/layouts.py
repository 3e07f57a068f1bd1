"""3-d layouts of a bundle's training latents: PCA, UMAP, t-SNE; made, measured, stored, loaded.

A bundle may hold several layouts (layout_places.py: in the bundle, or beside a bundle that is shipped
in the package or read-only, in the user data folder). Each is `layouts/NAME.npy` (float32 (N, 3): the place of every
training point, in data-set order), `layouts/NAME.safetensors` (its maps to and from the latent
space, see layout_maps.py) and an entry in model.json's `layouts` section: method, parameters, seed,
and the quality figures measured when it was made. Files are written atomically, model.json last,
so a bundle never lists a layout whose files are not complete.

Non-linear layouts are centred and scaled to the PCA layout's root-mean-square radius, so switching
between layouts keeps the cloud the same size on screen.

Loading checks everything against the bundle before use: a layout file with NaN, the wrong number of
rows or the wrong width is refused with one line naming the file (BundleError).
"""
from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from latentwalk.vae import layout_maps, layout_places
from latentwalk.vae.atomic import atomic_file, write_errors
from latentwalk.vae.bundle import MODEL_FILE, Bundle, check_weights_file, read_npy
from latentwalk.vae.errors import BundleError
from latentwalk.vae.layout_quality import layout_quality
from latentwalk.vae.safeio import first_line, load_json_file

METHODS = ("pca", "umap", "tsne")
LAYOUTS_DIR = "layouts"
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
MAX_LAYOUTS = 64
HOLDOUT_FRACTION = 0.1
MAX_HOLDOUT = 2000
IMAGE_CHECKS = 200  # held-out points whose decoded images are compared
MODEL_JSON_LIMIT = 4 << 20
KD_TREE_MAX_DIM = 12  # beyond this a k-d tree searches more of the data than brute force does
INSTALL_HINT = "pip install 'latentwalk[layouts]'  (umap-learn and openTSNE)"

Progress = Callable[[str, float], None]  # (stage, fraction of the whole job done)
# each method's options and their defaults (`latentwalk project` and the explorer's Model panel)
# No seed by default: UMAP then uses every core (a seed makes it reproducible and single-threaded).
DEFAULT_SEED, DEFAULT_NEIGHBORS, DEFAULT_MIN_DIST, DEFAULT_PERPLEXITY = None, 15, 0.1, 30.0


class LayoutError(BundleError):
    """A layout that cannot be made or read: one line naming the file or the problem."""


@dataclass(frozen=True)
class Layout:
    name: str
    method: str
    positions: np.ndarray  # (N, 3) float32
    maps: dict[str, np.ndarray]  # layout_maps tensors
    info: dict = field(default_factory=dict)  # its model.json entry

    def to_3d(self, latents: np.ndarray) -> np.ndarray:
        return layout_maps.forward(self.maps, latents)

    def to_latent(self, positions: np.ndarray) -> np.ndarray:
        return layout_maps.inverse(self.maps, positions)


def check_name(name: str) -> str:
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise LayoutError(f"layout name {str(name)[:70]!r}: use 1 to 64 letters, digits, '_', '-' or '.', "
                          "starting with a letter or digit")
    return name


def missing_extra(method: str) -> str | None:
    """Why `method` cannot run here (its package is not installed), or None."""
    module = {"umap": "umap", "tsne": "openTSNE"}.get(method)
    if module is None:
        return None
    import importlib.util

    if importlib.util.find_spec(module) is None:
        return f"--method {method} needs the {module} package: {INSTALL_HINT}"
    return None


# ----------------------------------------------------------------------------------------- making

def nearest_neighbours(latents: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """(indices int32 (N, count), distances float32 (N, count)): each point's `count` nearest points,
    itself first, found exactly. A k-d tree is fastest in few dimensions, a blocked brute-force search
    (BLAS) in many; both beat UMAP's approximate search (pynndescent) on these sizes and are exact."""
    from sklearn.neighbors import NearestNeighbors

    algorithm = "kd_tree" if latents.shape[1] <= KD_TREE_MAX_DIM else "brute"
    search = NearestNeighbors(n_neighbors=count, algorithm=algorithm, n_jobs=-1).fit(latents)
    distances, indices = search.kneighbors(latents)
    return indices.astype(np.int32), distances.astype(np.float32)


def cache_umap_compilation() -> None:
    """Keep umap-learn's numba-compiled functions between runs: most are compiled afresh in every
    process (about ten seconds of one core) because umap-learn does not ask numba to cache them.
    Numba keeps the cache beside the package, or in the user's cache folder where that is not
    writable, or under NUMBA_CACHE_DIR when that is set."""
    import sys

    import umap  # noqa: F401  (its modules, with their dispatchers, are loaded by now)
    try:
        from numba.core.caching import NullCache
        from numba.core.registry import CPUDispatcher
    except ImportError:  # another numba's layout: compiling afresh is only slower
        return

    for name, module in list(sys.modules.items()):
        if module is None or not (name == "umap" or name.startswith("umap.")):
            continue
        for value in list(vars(module).values()):
            if isinstance(value, CPUDispatcher) and isinstance(getattr(value, "_cache", None), NullCache):
                value.enable_caching()


def umap_reducer(latents: np.ndarray, seed: int | None, neighbors: int, min_dist: float, init: np.ndarray):
    """A umap.UMAP for `latents`, with their exact nearest neighbours found and PCA positions as its
    start. A seed makes it reproducible and single-threaded (umap-learn's rule); without one it uses
    every core and each run differs slightly."""
    import umap

    cache_umap_compilation()
    indices, distances = nearest_neighbours(latents, neighbors)
    # the PCA positions, scaled as umap-learn scales its own PCA start: as good a start as its
    # spectral one here (neighbours kept, trustworthiness) at a fraction of the time, and no randomness
    start = init / (float(np.abs(init).max()) or 1.0) * 10.0
    return umap.UMAP(n_components=3, n_neighbors=neighbors, min_dist=min_dist, random_state=seed,
                     n_jobs=1 if seed is not None else -1, init=start.astype(np.float32),
                     precomputed_knn=(indices, distances, None))


def _fit_umap(latents: np.ndarray, seed: int | None, neighbors: int, min_dist: float, init: np.ndarray) -> np.ndarray:
    import warnings

    reducer = umap_reducer(latents, seed, neighbors, min_dist, init)
    with warnings.catch_warnings():
        # "no search index": a bundle never needs umap's transform (the forward map places new points)
        warnings.filterwarnings("ignore", message=".*knn_search_index.*")
        return np.asarray(reducer.fit_transform(latents), np.float32)


def _fit_tsne(latents: np.ndarray, seed: int | None, perplexity: float, progress: Progress) -> np.ndarray:
    from openTSNE import TSNE

    iterations = 250 + 500  # openTSNE's early exaggeration and main phase
    done = [0]

    def report(iteration, error, embedding):
        done[0] += 50
        progress("t-SNE", min(done[0] / iterations, 1.0))

    # the FFT gradient works in one or two dimensions only: three need Barnes-Hut
    tsne = TSNE(n_components=3, perplexity=perplexity, random_state=seed if seed is not None else None,
                negative_gradient_method="bh", n_jobs=-1, callbacks=report, callbacks_every_iters=50,
                verbose=False)
    return np.asarray(tsne.fit(latents), np.float32)


def _rms_radius(positions: np.ndarray) -> float:
    centred = positions - positions.mean(axis=0)
    return float(np.sqrt((centred ** 2).sum(axis=1).mean())) or 1.0


def _holdout(count: int, seed: int) -> np.ndarray:
    size = min(MAX_HOLDOUT, max(1, int(count * HOLDOUT_FRACTION)))
    return np.sort(np.random.default_rng(seed + 1).choice(count, size, replace=False))


def _map_quality(latents, positions, maps, rows, decode) -> tuple[dict, dict]:
    """Held-out figures of the inverse and forward maps."""
    spread = float(np.linalg.norm(latents - latents.mean(axis=0), axis=1).mean()) or 1.0
    back = layout_maps.inverse(maps, positions[rows])
    errors = np.linalg.norm(back - latents[rows], axis=1)
    inverse = {"latent_error": round(float(errors.mean()) / spread, 6),
               "latent_error_p90": round(float(np.quantile(errors, 0.9)) / spread, 6),
               "latent_spread": round(spread, 6), "held_out": int(len(rows))}
    if decode is not None:
        inverse["image_nearer_than_most"] = round(image_nearer_than_most(decode, latents[rows[:IMAGE_CHECKS]],
                                                                         back[:IMAGE_CHECKS]), 6)
    placed = layout_maps.forward(maps, latents[rows])
    place_spread = float(np.linalg.norm(positions - positions.mean(axis=0), axis=1).mean()) or 1.0
    forward = {"place_error": round(float(np.linalg.norm(placed - positions[rows], axis=1).mean()) / place_spread, 6),
               "held_out": int(len(rows))}
    return inverse, forward


def image_nearer_than_most(decode: Callable[[np.ndarray], np.ndarray], true_latents: np.ndarray,
                           mapped_latents: np.ndarray) -> float:
    """The fraction of points whose image decoded from the mapped latent is nearer (pixel distance) to
    the image of its own true latent than to the images of more than half of the other points."""
    own = decode(true_latents).reshape(len(true_latents), -1).astype(np.float64)
    mapped = decode(mapped_latents).reshape(len(mapped_latents), -1).astype(np.float64)
    distances = ((mapped ** 2).sum(1)[:, None] + (own ** 2).sum(1)[None, :] - 2 * mapped @ own.T)
    count = len(own)
    if count < 2:
        return 1.0
    mine = np.diag(distances)
    farther = (distances > mine[:, None]).sum(axis=1)  # other points' images farther than its own
    return float((farther > (count - 1) / 2).mean())


def option_problem(method: str, points: int, *, neighbors: int = DEFAULT_NEIGHBORS,
                   min_dist: float = DEFAULT_MIN_DIST, perplexity: float = DEFAULT_PERPLEXITY) -> str | None:
    """Why these options cannot make a layout of `points` points (one line naming the option), or None."""
    if method == "umap" and not 0.0 <= min_dist <= 1.0:
        return f"--min-dist must be between 0 and 1, got {min_dist}"
    if method == "umap" and not 2 <= neighbors < points:
        return f"--neighbors {neighbors}: must be at least 2 and below the model's {points} points"
    if method == "tsne" and not 0 < 3 * perplexity < points:
        return (f"--perplexity {perplexity}: needs more than {max(0, int(3 * perplexity))} points, "
                f"the model has {points}")
    return missing_extra(method)


def compute_layout(latents: np.ndarray, method: str, *, seed: int | None = DEFAULT_SEED,
                   neighbors: int = DEFAULT_NEIGHBORS, min_dist: float = DEFAULT_MIN_DIST,
                   perplexity: float = DEFAULT_PERPLEXITY,
                   decode: Callable[[np.ndarray], np.ndarray] | None = None,
                   progress: Progress | None = None) -> tuple[np.ndarray, dict[str, np.ndarray], dict]:
    """(positions (N, 3), maps, model.json entry less its file names) of a new layout."""
    if method not in METHODS:
        raise LayoutError(f"unknown layout method {method!r} (choose from {', '.join(METHODS)})")
    why = missing_extra(method)
    if why:
        raise LayoutError(why)
    progress = progress or (lambda stage, fraction: None)
    latents = np.ascontiguousarray(latents, np.float32)
    started = time.perf_counter()
    seed_value = 0 if seed is None else seed
    mean, axes, explained = layout_maps.principal_axes(latents, 3, seed_value)
    if axes.shape[0] < 3:  # d < 3: pad with zero axes
        axes = np.vstack([axes, np.zeros((3 - axes.shape[0], latents.shape[1]), np.float32)])
        explained = np.concatenate([explained, np.zeros(3 - len(explained), np.float32)])
    pca_positions = ((latents - mean) @ axes.T).astype(np.float32)
    params: dict = {}
    if method == "pca":
        positions, maps = pca_positions, layout_maps.pca_maps(mean, axes)
        params["explained"] = [round(float(v), 6) for v in explained]
        progress("PCA", 0.6)
        fit_seconds = time.perf_counter() - started
    else:
        if method == "umap":
            params.update(neighbors=int(neighbors), min_dist=float(min_dist))
            progress("UMAP", 0.0)
            raw = _fit_umap(latents, seed, int(neighbors), float(min_dist), pca_positions)
        else:
            params.update(perplexity=float(perplexity))
            raw = _fit_tsne(latents, seed, float(perplexity), lambda s, f: progress(s, 0.6 * f))
        if not np.isfinite(raw).all():
            raise LayoutError(f"{method} produced NaN or Inf positions")
        fit_seconds = time.perf_counter() - started
        progress("maps", 0.6)
        scale = _rms_radius(pca_positions) / _rms_radius(raw)
        positions = ((raw - raw.mean(axis=0)) * scale).astype(np.float32)
        rows = _holdout(len(latents), seed_value)
        train = np.setdiff1d(np.arange(len(latents)), rows) if len(latents) > len(rows) + 1 else np.arange(len(latents))
        maps = layout_maps.train_mlp("forward", latents[train], positions[train], seed=seed_value,
                                     progress=lambda f: progress("forward map", 0.6 + 0.15 * f))
        maps.update(layout_maps.train_mlp("inverse", positions[train], latents[train], seed=seed_value,
                                          progress=lambda f: progress("inverse map", 0.75 + 0.15 * f)))
    rows = _holdout(len(latents), seed_value)
    inverse_quality, forward_quality = _map_quality(latents, positions, maps, rows, decode)
    progress("quality", 0.9)
    quality = layout_quality(latents, positions, seed=seed_value).as_dict()
    progress("done", 1.0)
    entry = {"method": method, "params": params, "seed": seed, "rows": int(len(latents)),
             "quality": quality, "inverse": inverse_quality, "forward": forward_quality,
             "seconds": round(fit_seconds, 3)}
    return positions, maps, entry


# ---------------------------------------------------------------------------------------- storing

def _read_model_json(bundle_path: Path) -> dict:
    meta = load_json_file(bundle_path / MODEL_FILE, LayoutError, limit=MODEL_JSON_LIMIT)
    if not isinstance(meta, dict):
        raise LayoutError(f"{bundle_path / MODEL_FILE}: expected a JSON object")
    return meta


def store_layout(bundle: Bundle, name: str, positions: np.ndarray, maps: dict[str, np.ndarray], entry: dict,
                 *, replace: bool = False) -> Path:
    """Write the layout's files and its entry (atomically, the listing last): in the bundle, or beside
    it in the user data folder (layout_places.py)."""
    from safetensors.numpy import save_file

    check_name(name)
    in_bundle = layout_places.stored_in_bundle(bundle.path)
    if in_bundle:
        meta = _read_model_json(bundle.path)
        section = meta.get("layouts", {})
        if not isinstance(section, dict):
            raise LayoutError(f"{bundle.path / MODEL_FILE}: 'layouts' must be an object")
        home = bundle.path
    else:
        section = layout_places.read_side_section(bundle.path, LayoutError)
        home = layout_places.side_folder(bundle.path)
    listed = list_layouts(bundle)
    if name in listed and not (replace and name in section):
        raise LayoutError(f"{bundle.path.name} already has a layout named {name!r}: choose another --name, "
                          "or --replace it")
    if len(listed) >= MAX_LAYOUTS and name not in section:
        raise LayoutError(f"{bundle.path.name} holds {len(listed)} layouts, the most a bundle may")
    folder = home / LAYOUTS_DIR
    positions_path, maps_path = folder / f"{name}.npy", folder / f"{name}.safetensors"
    with write_errors(folder, LayoutError):
        folder.mkdir(parents=not in_bundle, exist_ok=True)
        with atomic_file(positions_path) as temp:
            with open(temp, "wb") as handle:
                np.save(handle, np.ascontiguousarray(positions, np.float32), allow_pickle=False)
        with atomic_file(maps_path) as temp:
            save_file({k: np.ascontiguousarray(v, np.float32) for k, v in maps.items()}, str(temp))
        section[name] = {**entry, "file": f"{LAYOUTS_DIR}/{name}.npy", "maps": f"{LAYOUTS_DIR}/{name}.safetensors"}
        if in_bundle:
            meta["layouts"] = section
            with atomic_file(bundle.path / MODEL_FILE) as temp:
                temp.write_text(json.dumps(meta, indent=2, allow_nan=False) + "\n")
    if in_bundle:
        bundle.meta["layouts"] = section
    else:
        layout_places.write_side_section(bundle.path, section, LayoutError)
    return positions_path


def reread_layouts(bundle: Bundle) -> None:
    """The bundle's own listing read again from model.json (another process stored a layout)."""
    section = _read_model_json(bundle.path).get("layouts", {})
    bundle.meta["layouts"] = section


# ---------------------------------------------------------------------------------------- loading

def list_layouts(bundle: Bundle) -> dict[str, dict]:
    """name -> entry of each layout the bundle lists with a known method (in file order), then those
    stored beside it (layout_places.py) under names the bundle does not use."""
    return {name: entry for name, (entry, _) in _listed(bundle).items()}


def _listed(bundle: Bundle) -> dict[str, tuple[dict, Path]]:
    """name -> (entry, the folder its files are in)."""
    section = bundle.meta.get("layouts", {})
    if not isinstance(section, dict):
        raise LayoutError(f"{bundle.path / MODEL_FILE}: 'layouts' must be an object")
    found: dict[str, tuple[dict, Path]] = {}
    side = layout_places.read_side_section(bundle.path, LayoutError)
    for home, entries in ((bundle.path, section), (layout_places.side_folder(bundle.path), side)):
        for name, entry in list(entries.items())[:MAX_LAYOUTS]:
            if name not in found and NAME_PATTERN.match(name) and isinstance(entry, dict) \
                    and entry.get("method") in METHODS:
                found[name] = (entry, home / LAYOUTS_DIR)
    return dict(list(found.items())[:MAX_LAYOUTS])


def fresh_name(bundle: Bundle, stem: str) -> str:
    """`stem`, or `stem-2`, `stem-3`, ... : the first name no layout of the bundle has."""
    taken = set(list_layouts(bundle))
    name, number = stem, 1
    while name in taken:
        number += 1
        name = f"{stem}-{number}"
    return check_name(name)


def load_layout(bundle: Bundle, name: str) -> Layout:
    """The layout `name` of `bundle`, checked whole: positions (N, 3) finite floats, maps of the right
    shapes with finite values. LayoutError (one line naming the file) otherwise."""
    check_name(name)
    listed = _listed(bundle)
    if name not in listed:
        raise LayoutError(f"{bundle.path.name} has no layout named {name!r}"
                          f" (it has: {', '.join(listed) or 'none'})")
    entry, folder = listed[name]
    method = entry["method"]
    # the files' names come from the layout's name, never from paths in model.json
    positions_path = folder / f"{name}.npy"
    maps_path = folder / f"{name}.safetensors"
    rows = len(bundle.latents)

    def check(shape: tuple, dtype: np.dtype) -> None:
        if len(shape) != 2 or shape[1] != 3:
            raise LayoutError(f"{positions_path}: shape {shape}, expected ({rows}, 3): a layout is 3-d")
        if shape[0] != rows:
            raise LayoutError(f"{positions_path}: {shape[0]} rows but the bundle has {rows} points")
        if dtype.kind != "f":
            raise LayoutError(f"{positions_path}: dtype {dtype}, expected float32")

    positions = read_npy(positions_path, LayoutError, check=check)
    if not np.isfinite(positions).all():
        raise LayoutError(f"{positions_path}: contains NaN or Inf")
    with np.errstate(over="ignore"):
        positions = positions.astype(np.float32, copy=False)
    if not np.isfinite(positions).all():
        raise LayoutError(f"{positions_path}: values beyond float32 range")
    return Layout(name, method, positions, read_maps(maps_path, method, bundle.latent_dim), entry)


def read_maps(path: Path, method: str, latent_dim: int) -> dict[str, np.ndarray]:
    from safetensors.numpy import load_file

    expected = layout_maps.map_shapes(method, latent_dim)
    try:
        check_weights_file(path, expected, f"a {method} layout's maps")
    except BundleError as exc:
        raise LayoutError(str(exc)) from None
    try:
        arrays = load_file(str(path))
    except Exception as exc:  # safetensors' errors have no common base worth naming
        raise LayoutError(f"{path}: corrupt or truncated safetensors ({first_line(exc)})") from None
    maps = {}
    for name, shape in expected.items():
        array = arrays.get(name)
        if array is None or tuple(array.shape) != shape or array.dtype.kind != "f":
            raise LayoutError(f"{path}: tensor {name} does not fit a {method} layout")
        if not np.isfinite(array).all():
            raise LayoutError(f"{path}: tensor {name} contains NaN or Inf")
        maps[name] = array.astype(np.float32, copy=False)
    scales = [maps[n] for n in maps if n.endswith("in_scale")]
    if any((s <= 0).any() for s in scales):
        raise LayoutError(f"{path}: an input scale is not positive")
    return maps
