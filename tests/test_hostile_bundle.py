"""Hostile model bundles: huge claims, deep JSON, FIFOs, /dev/zero, lying headers. Each is
refused by load_bundle as one BundleError line naming the file, before anything big is allocated:
a subprocess under a 2 GiB address-space limit loads them all."""
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from latentwalk.vae.bundle import load_bundle
from latentwalk.vae.errors import BundleError
from latentwalk.vae.model import ConvDecoder, ConvEncoder, decoder_shapes, encoder_shapes
from tests.bundles import make_bundle

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def bundle_dir(tmp_path):
    return make_bundle(tmp_path / "model", count=20, encoder=True)


def set_meta_text(bundle: Path, key: str, raw: str) -> None:
    """Replace model.json's value of `key` by the raw JSON text `raw` (which json.dumps could not write)."""
    meta = json.loads((bundle / "model.json").read_text())
    meta[key] = "@@"
    (bundle / "model.json").write_text(json.dumps(meta).replace('"@@"', raw))


def npy_with_header(path: Path, shape, descr: str = "<f4", data: bytes = b"\0" * 24) -> None:
    """A .npy whose header claims `shape` whatever data follows (as a hostile file would)."""
    header = "{'descr': %r, 'fortran_order': False, 'shape': %r, }" % (descr, tuple(shape))
    header = header + " " * (-(len(header) + 11) % 64) + "\n"
    path.write_bytes(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode() + data)


def safetensors_with_header(path: Path, header: dict, data: bytes = b"") -> None:
    raw = json.dumps(header).encode()
    path.write_bytes(len(raw).to_bytes(8, "little") + raw + data)


def fifo(path: Path) -> None:
    path.unlink()
    os.mkfifo(path)


def link_to_dev_zero(path: Path) -> None:
    path.unlink()
    os.symlink("/dev/zero", path)


HOSTILE = {
    "model.json nested 200k deep": ("model.json", lambda b: (b / "model.json").write_text("[" * 200_000),
                                    "bad JSON: nested too deeply"),
    "5000-digit latent_dim": ("model.json", lambda b: set_meta_text(b, "latent_dim", "9" * 5000),
                              "bad JSON: a number with 5000 digits"),
    "latent_dim 1e9": ("model.json", lambda b: set_meta_text(b, "latent_dim", str(10**9)),
                       "latent_dim must be a positive integer up to 1024, got 1000000000"),
    "latent_dim 1e7": ("model.json", lambda b: set_meta_text(b, "latent_dim", str(10**7)), "latent_dim must be"),
    "latent_dim 1e6": ("model.json", lambda b: set_meta_text(b, "latent_dim", str(10**6)), "latent_dim must be"),
    "latent_dim 1e30": ("model.json", lambda b: set_meta_text(b, "latent_dim", str(10**30)), "latent_dim must be"),
    "latent_dim 1e30 float": ("model.json", lambda b: set_meta_text(b, "latent_dim", "1e30"), "latent_dim must be"),
    "image_shape 40000": ("model.json", lambda b: set_meta_text(b, "image_shape", "[40000, 40000]"),
                          "image_shape must be two positive multiples of 4 up to 1024"),
    "image_shape 4e9": ("model.json", lambda b: set_meta_text(b, "image_shape", f"[{4 * 10**9}, {4 * 10**9}]"),
                        "image_shape must be"),
    "image_shape zero": ("model.json", lambda b: set_meta_text(b, "image_shape", "[28, 0]"), "image_shape must be"),
    "model.json of 5 MB": ("model.json", lambda b: os.truncate(b / "model.json", 5 << 20),
                           r"too large \(5 MiB; the limit is 4 MiB\)"),
    "model.json FIFO": ("model.json", lambda b: fifo(b / "model.json"), "is a FIFO, not a JSON file"),
    "model.json -> /dev/zero": ("model.json", lambda b: link_to_dev_zero(b / "model.json"),
                                "is a character device, not a JSON file"),
    "model.json not UTF-8": ("model.json", lambda b: (b / "model.json").write_bytes(b'{"a": "\xff"}'),
                             r"not UTF-8 text \(byte 7\)"),
    "latents claim 10^12 rows": ("latents.npy", lambda b: npy_with_header(b / "latents.npy", (10**12, 3)),
                                 "1000000000000 points, more than the 20000000 a bundle may hold"),
    "latents claim 10^6 rows, hold 2": ("latents.npy", lambda b: npy_with_header(b / "latents.npy", (10**6, 3)),
                                        r"truncated: shape \(1000000, 3\) of float32 needs 12000000 data bytes, "
                                        r"the file has 24\)"),
    "latents with a huge dtype": ("latents.npy", lambda b: npy_with_header(b / "latents.npy", (2, 3), "<V1000000000"),
                                  "dtype |V1000000000, expected float32"),
    "latents of a subarray dtype": ("latents.npy", lambda b: npy_with_header(
        b / "latents.npy", (20, 3), "('<f4', (1000000000,))"), "not a valid .npy array"),
    "latents header garbage": ("latents.npy", lambda b: (b / "latents.npy").write_bytes(
        b"\x93NUMPY\x01\x00\x10\x00{'descr': [[[[[\n"), r"not a valid \.npy array \("),
    "latents header 4 GB long": ("latents.npy", lambda b: (b / "latents.npy").write_bytes(
        b"\x93NUMPY\x02\x00\xff\xff\xff\xff{"), r"not a valid \.npy array \(header claims 4294967295 bytes\)"),
    "latents FIFO": ("latents.npy", lambda b: fifo(b / "latents.npy"), "is a FIFO, not a .npy file"),
    "latents -> /dev/zero": ("latents.npy", lambda b: link_to_dev_zero(b / "latents.npy"),
                             "is a character device, not a .npy file"),
    "latents a folder": ("latents.npy", lambda b: ((b / "latents.npy").unlink(), (b / "latents.npy").mkdir()),
                         "is a folder, not a .npy file"),
    "labels claim 10^12 rows": ("labels.npy", lambda b: npy_with_header(b / "labels.npy", (10**12,), "<i8"),
                                "1000000000000 labels but latents.npy has 20 rows"),
    "labels FIFO": ("labels.npy", lambda b: fifo(b / "labels.npy"), "is a FIFO"),
    "decoder FIFO": ("decoder.safetensors", lambda b: fifo(b / "decoder.safetensors"),
                     "is a FIFO, not a safetensors file"),
    "decoder -> /dev/zero": ("decoder.safetensors", lambda b: link_to_dev_zero(b / "decoder.safetensors"),
                             "is a character device"),
    "decoder header length 2^63": ("decoder.safetensors", lambda b: (b / "decoder.safetensors").write_bytes(
        (2**63).to_bytes(8, "little") + b"{}"), "header claims 9223372036854775808 bytes"),
    "decoder header nested deep": ("decoder.safetensors", lambda b: (b / "decoder.safetensors").write_bytes(
        (100_000).to_bytes(8, "little") + b"[" * 100_000), "header: bad JSON: nested too deeply"),
    "decoder tensor claims 6 TB": ("decoder.safetensors", lambda b: safetensors_with_header(
        b / "decoder.safetensors", {"fc.weight": {"dtype": "F32", "shape": [1568, 10**9],
                                                  "data_offsets": [0, 6272 * 10**9]}}),
                                   r"fc.weight claims bytes 0..6272000000000 .* the file holds 0"),
    "decoder offsets lie": ("decoder.safetensors", lambda b: safetensors_with_header(
        b / "decoder.safetensors", {"fc.bias": {"dtype": "F32", "shape": [4], "data_offsets": [0, 8]}}, b"\0" * 8),
                            "fc.bias claims bytes 0..8 for 16 bytes of data"),
    "decoder tensors overlap": ("decoder.safetensors", lambda b: safetensors_with_header(
        b / "decoder.safetensors", {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                                    "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, b"\0" * 12),
                                "tensors overlap"),
    "decoder shape of negative size": ("decoder.safetensors", lambda b: safetensors_with_header(
        b / "decoder.safetensors", {"fc.bias": {"dtype": "F32", "shape": [-4], "data_offsets": [0, 0]}}),
                                       "malformed entry for tensor 'fc.bias'"),
    "decoder integer tensors": ("decoder.safetensors", lambda b: retype_decoder(b), "has dtype I32, expected floating"),
    "encoder a folder": ("encoder.safetensors", lambda b: ((b / "encoder.safetensors").unlink(),
                                                           (b / "encoder.safetensors").mkdir()),
                         "is a folder, not a safetensors file"),
}


def retype_decoder(bundle: Path) -> None:
    from safetensors.torch import load_file, save_file

    tensors = load_file(str(bundle / "decoder.safetensors"))
    save_file({k: v.int() for k, v in tensors.items()}, str(bundle / "decoder.safetensors"))


@pytest.mark.timeout(60)  # a FIFO that were opened would block forever
@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_bundles_are_one_line_errors_naming_the_file(bundle_dir, case):
    file_name, damage, message = HOSTILE[case]
    damage(bundle_dir)
    with pytest.raises(BundleError, match=message) as caught:
        load_bundle(bundle_dir)
    text = str(caught.value)
    assert text.startswith(f"{bundle_dir / file_name}: ") and "\n" not in text and len(text) < 400


def test_the_decoder_file_is_checked_again_before_the_module_is_built(bundle_dir, monkeypatch):
    import latentwalk.vae.model as model_module

    bundle = load_bundle(bundle_dir)
    built = []
    monkeypatch.setattr(model_module, "ConvDecoder", lambda *a: built.append(a))
    safetensors_with_header(bundle_dir / "decoder.safetensors", {"fc.weight": {
        "dtype": "F32", "shape": [1568, 3], "data_offsets": [0, 18816]}})
    with pytest.raises(BundleError, match="decoder.safetensors: corrupt or truncated"):
        bundle.load_decoder()
    assert built == []


@pytest.mark.parametrize("latent_dim, shape", [(1, (4, 4)), (3, (28, 28)), (7, (16, 36))])
def test_arithmetic_shapes_are_the_modules_shapes(latent_dim, shape):
    for module, shapes in ((ConvDecoder, decoder_shapes), (ConvEncoder, encoder_shapes)):
        state = module(latent_dim, shape).state_dict()
        assert shapes(latent_dim, shape) == {name: tuple(value.shape) for name, value in state.items()}


def test_float64_latents_beyond_float32_are_refused_without_a_warning(bundle_dir, recwarn):
    latents = np.load(bundle_dir / "latents.npy").astype(np.float64)
    latents[3, 1] = 1e300
    np.save(bundle_dir / "latents.npy", latents)
    with pytest.raises(BundleError, match=r"latents\.npy: values beyond float32 range$"):
        load_bundle(bundle_dir)
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


MEMORY_CAPPED = textwrap.dedent("""
    import json, resource, sys
    limit = 2 << 30
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    from latentwalk.vae.bundle import load_bundle
    from latentwalk.vae.errors import VaeError
    results = {}
    for name in sys.argv[1:]:
        try:
            bundle = load_bundle(name)
            bundle.load_decoder()
            results[name] = "loaded"
        except VaeError as exc:
            results[name] = "VaeError: " + str(exc)
        except BaseException as exc:
            results[name] = f"{type(exc).__name__}: {exc}"
    print(json.dumps(results))
""")


@pytest.mark.timeout(120)
def test_under_a_2_gib_memory_cap_every_huge_claim_is_refused_not_allocated(tmp_path):
    claims = {
        "latent_dim_1e6": lambda b: set_meta_text(b, "latent_dim", str(10**6)),
        "image_40000": lambda b: set_meta_text(b, "image_shape", "[40000, 40000]"),
        "rows_1e12": lambda b: npy_with_header(b / "latents.npy", (10**12, 3)),
        "rows_1e7_backed_by_nothing": lambda b: npy_with_header(b / "latents.npy", (10**7, 3)),
        "labels_1e12": lambda b: npy_with_header(b / "labels.npy", (10**12,), "<i8"),
        "tensor_6TB": lambda b: safetensors_with_header(b / "decoder.safetensors", {
            "fc.weight": {"dtype": "F32", "shape": [1568, 10**9], "data_offsets": [0, 6272 * 10**9]}}),
        "dev_zero": lambda b: link_to_dev_zero(b / "model.json"),
    }
    folders = []
    for name, damage in claims.items():
        folder = make_bundle(tmp_path / name, count=20)
        damage(folder)
        folders.append(str(folder))
    done = subprocess.run([sys.executable, "-c", MEMORY_CAPPED, *folders], capture_output=True, text=True,
                          cwd=REPO, timeout=110)
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads(done.stdout)
    for folder in folders:
        assert results[folder].startswith(f"VaeError: {folder}/"), results[folder]


@pytest.mark.parametrize("name, message", [
    ("mnist\0", r"^mnist\\x00: not a model bundle name or folder \(it holds a NUL character\)$"),
    ("~no-such-user-latentwalk/model", r"^~no-such-user-latentwalk/model: not a usable model bundle path"),
    ("a" * 5000, r"^a{80}\.\.\.: not a usable model bundle path \(File name too long\)$"),
    ("x/" * 3000, r"^(x/){40}\.\.\.: not a usable model bundle path \(File name too long\)$"),
])
def test_hostile_model_names_are_one_line_errors(name, message):
    """A session file names its model: whatever string it holds, loading says why in one line."""
    with pytest.raises(BundleError, match=message):
        load_bundle(name)


@pytest.mark.parametrize("case", ["model.json nested 200k deep", "latent_dim 1e9", "latents claim 10^12 rows",
                                  "model.json -> /dev/zero"])
def test_the_explorers_session_check_gets_a_scene_error_naming_the_file(bundle_dir, case):
    """The Ctrl+O path (SessionIO.load -> bundle_sizes, which catches VaeError only) died
    on these three bundles with RecursionError, RuntimeError and MemoryError."""
    from latentwalk.scenes.errors import SceneError
    from latentwalk.scenes.explorer.panels.session import bundle_sizes

    file_name, damage, _ = HOSTILE[case]
    damage(bundle_dir)
    with pytest.raises(SceneError) as caught:
        bundle_sizes(str(bundle_dir))
    assert str(caught.value).startswith(f"{bundle_dir / file_name}: ") and "\n" not in str(caught.value)
