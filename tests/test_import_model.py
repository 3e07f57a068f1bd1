"""Models latentwalk did not train: an ONNX and a TorchScript decoder, a generator sampled from its prior,
embeddings with pictures and no decoder. Each is exported here the way its owner would, imported through
the CLI, decoded, shown in the explorer (GL under Xvfb, a hover decodes) and recorded; hostile model files
end in one line."""
from __future__ import annotations

import hashlib
import json
import shutil

import numpy as np
import pytest
from PIL import Image

from latentwalk import cli
from latentwalk.engine.video import read_video
from latentwalk.vae.bundle import load_bundle
from latentwalk.vae.decode import decode_latents
from latentwalk.vae.errors import BundleError
from tests.explorer_helpers import frames, frames_until, front_point, open_explorer, post_motion
from tests.imported_models import (GENERATOR_DIM, LATENT_DIM, TinyDecoder, TinyGenerator, export_onnx,
                                   export_torchscript, hostile_model_files, reference_images, seeded)

SAMPLES = 80
POINTS = 120
SIZE = (480, 360)


def main(*args) -> int:
    try:
        return cli.main([str(a) for a in args])
    except SystemExit as exited:  # argparse's own usage errors
        return exited.code


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    """The files a person brings: exported models, latents, labels, embeddings, pictures."""
    root = tmp_path_factory.mktemp("sources")
    rng = np.random.default_rng(3)
    decoder, generator = seeded(TinyDecoder), seeded(TinyGenerator)
    np.save(root / "z.npy", rng.standard_normal((POINTS, LATENT_DIM)).astype(np.float32))
    np.save(root / "labels.npy", rng.integers(0, 3, POINTS))
    pictures = root / "pictures"
    pictures.mkdir()
    colours = rng.integers(0, 256, (POINTS, 3))
    for row in range(POINTS):
        picture = np.zeros((12, 16, 3), np.uint8)
        picture[:, :] = colours[row]
        picture[: row % 12] = 255 - colours[row]  # every picture different
        Image.fromarray(picture).save(pictures / f"{row:04d}.png")
    np.save(root / "emb.npy", rng.standard_normal((POINTS, 7)).astype(np.float32))
    (root / "meta.tsv").write_text("kind\tid\n" + "".join(f"{('cat', 'dog')[row % 2]}\t{row}\n"
                                                          for row in range(POINTS)))
    return {"root": root, "decoder": decoder, "generator": generator,
            "onnx": export_onnx(decoder, LATENT_DIM, root / "decoder.onnx"),
            "torchscript": export_torchscript(decoder, root / "decoder.pt"),
            "generator.onnx": export_onnx(generator, GENERATOR_DIM, root / "generator.onnx")}


@pytest.fixture(scope="module")
def bundles(sources, tmp_path_factory):
    root, out = sources["root"], tmp_path_factory.mktemp("bundles")
    for kind in ("onnx", "torchscript"):
        assert main("import-model", sources[kind], "--out", out / kind, "--latents", root / "z.npy",
                    "--labels", root / "labels.npy") == 0
    assert main("import-model", sources["generator.onnx"], "--out", out / "generator", "--sample", SAMPLES,
                "--seed", 5, "--clusters", 2, "--output-range", "-1,1", "--no-progress") == 0
    assert main("import-points", root / "emb.npy", "--images", root / "pictures", "--metadata", root / "meta.tsv",
                "--out", out / "points", "--picture-size", 16) == 0
    return {kind: out / kind for kind in ("onnx", "torchscript", "generator", "points")}


def expected_images(kind, bundle, sources, latents):
    """What each kind should show for `latents`: its source model's images, or the nearest real picture."""
    if kind == "generator":
        return reference_images(sources["generator"], latents, "-1,1")
    if kind == "points":
        nearest = ((latents[:, None, :] - bundle.latents[None]) ** 2).sum(axis=2).argmin(axis=1)
        return bundle.pictures[nearest].astype(np.float32) / 255.0
    return reference_images(sources["decoder"], latents)


# -- import and decode ------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["onnx", "torchscript"])
def test_an_imported_decoder_decodes_as_its_source_model(kind, sources, bundles):
    bundle = load_bundle(bundles[kind])
    assert (bundle.kind, bundle.latent_dim, bundle.image_shape, bundle.channels) == (kind, LATENT_DIM, (8, 8), 1)
    latents = np.random.default_rng(9).standard_normal((23, LATENT_DIM)).astype(np.float32)
    images = decode_latents(bundle.load_decoder("cpu"), latents, batch_size=7)  # batches of 7, 7, 7, 2
    np.testing.assert_allclose(images, reference_images(sources["decoder"], latents), atol=1e-5)
    np.testing.assert_array_equal(bundle.latents, np.load(sources["root"] / "z.npy"))
    spec = bundle.meta["decoder"]
    assert spec["sha256"] == hashlib.sha256(sources[kind].read_bytes()).hexdigest()
    assert (bundles[kind] / spec["file"]).read_bytes() == sources[kind].read_bytes()


def test_decode_writes_every_colour_model_as_n_c_h_w_and_grey_as_n_h_w(sources, bundles, tmp_path):
    """One layout for colour files, whoever made the model: a sampled generator, a picture table, an
    ONNX decoder (grey here, as a TF.js import is) keep their pictures row for row."""
    expected_shapes = {"generator": (6, 3, 8, 8), "points": (6, 3, 16, 16), "onnx": (6, 8, 8)}
    for kind, shape in expected_shapes.items():
        bundle = load_bundle(bundles[kind])
        latents = bundle.latents[:6]
        np.save(tmp_path / f"{kind}-z.npy", latents)
        assert main("decode", "--model", bundles[kind], "--latents", tmp_path / f"{kind}-z.npy",
                    "--out", tmp_path / f"{kind}.npy") == 0
        written = np.load(tmp_path / f"{kind}.npy", allow_pickle=False)
        assert written.shape == shape and written.dtype == np.float32
        assert (tmp_path / f"{kind}.npy").stat().st_size == 128 + written.nbytes  # nothing beyond the header's rows
        pictures = decode_latents(bundle.load_decoder("cpu"), latents)
        np.testing.assert_array_equal(written, pictures.transpose(0, 3, 1, 2) if len(shape) == 4 else pictures)


def test_a_decoder_changed_after_import_is_refused_in_one_line(bundles, tmp_path):
    copy = shutil.copytree(bundles["onnx"], tmp_path / "changed")
    with open(copy / "decoder.onnx", "ab") as handle:
        handle.write(b"\0")
    bundle = load_bundle(copy)
    with pytest.raises(BundleError, match=r"decoder\.onnx: changed since it was imported") as raised:
        bundle.load_decoder("cpu")
    assert "\n" not in str(raised.value)


def test_a_sampled_generator_is_laid_out_and_coloured_by_what_it_makes(sources, bundles, tmp_path):
    bundle = load_bundle(bundles["generator"])
    z = bundle.latents
    assert z.shape == (SAMPLES, GENERATOR_DIM) and bundle.walk_interpolation == "slerp"
    np.testing.assert_array_equal(z, np.random.default_rng(5).standard_normal((SAMPLES, GENERATOR_DIM),
                                                                             dtype=np.float32))
    # the generator's picture follows z[:, 0] alone: so must the layout's main axis and the two clusters
    assert abs(np.corrcoef(bundle.positions[:, 0], np.tanh(3 * z[:, 0]))[0, 1]) > 0.95
    clear = np.abs(z[:, 0]) > 0.3  # near 0 the picture is mid-grey: either cluster may take it
    pairs = set(zip(bundle.labels[clear].tolist(), (z[clear, 0] > 0).tolist()))
    assert len(pairs) == 2 and {label for label, _ in pairs} == {0, 1}
    images = decode_latents(bundle.load_decoder("cpu"), z[:10])
    assert images.shape == (10, 8, 8, 3)
    np.testing.assert_allclose(images, reference_images(sources["generator"], z[:10], "-1,1"), atol=1e-5)


def test_embeddings_with_pictures_show_the_nearest_real_picture(sources, bundles):
    from latentwalk.scenes.explorer.record.record_frames import nearest_caption
    from latentwalk.scenes.explorer.walk.walk_tools import walk_caption

    bundle = load_bundle(bundles["points"])
    assert bundle.kind == "pictures" and bundle.class_names == ["cat", "dog"]
    assert list(bundle.labels[:4]) == [0, 1, 0, 1] and bundle.pictures.shape == (POINTS, 16, 16, 3)
    first = np.asarray(Image.open(sources["root"] / "pictures" / "0005.png"))  # 12x16, fitted in 16x16
    np.testing.assert_array_equal(bundle.pictures[5][2:14], first)
    table = bundle.load_decoder("cpu")
    np.testing.assert_array_equal(decode_latents(table, bundle.latents[[3, 7]]),
                                  bundle.pictures[[3, 7]].astype(np.float32) / 255.0)
    between = 0.8 * bundle.latents[3] + 0.2 * bundle.latents[7]
    nearest = int(((bundle.latents - between) ** 2).sum(axis=1).argmin())
    np.testing.assert_array_equal(decode_latents(table, between[None])[0],
                                  bundle.pictures[nearest].astype(np.float32) / 255.0)
    assert "nearest real picture" in walk_caption(0.5, bundle)
    assert walk_caption(0.5, load_bundle(bundles["onnx"])) == "walk  t = 0.500"
    assert nearest_caption("cat", "real picture") == "nearest real picture: a cat"


# -- hostile files and bad arguments ------------------------------------------------------------------
HOSTILE = {
    "truncated": "not a readable ONNX model (truncated or corrupt",
    "custom-op": "uses operator 'Dream' of the custom domain 'com.example.dreams'",
    "not-an-image": "the output has shape (1, 5), not an image batch",
    "2gb-weight": "initializer 'w' claims shape (536870912,)",
    "2gb-output": "claims shape (None, 1, 40000, 40000)",
    "torch-save": "a torch.save archive (pickled weights, no TorchScript code), which latentwalk never loads; "
                  "export the decoder instead: torch.jit.script",
    "pickle": "a Python pickle (torch.save), which latentwalk never loads; export the decoder instead",
    "empty": "empty file, not an ONNX or TorchScript model",
}


@pytest.fixture(scope="module")
def hostile(sources, tmp_path_factory):
    return hostile_model_files(tmp_path_factory.mktemp("hostile"), sources["onnx"])


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_model_file_ends_in_one_line_and_writes_nothing(name, sources, hostile, tmp_path, capsys):
    out = tmp_path / "bundle"
    assert main("import-model", hostile[name], "--out", out, "--latents", sources["root"] / "z.npy") == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"latentwalk import-model: error: {hostile[name]}: "), err
    assert HOSTILE[name] in err, err
    assert not hostile["pickle"].with_name("unpickled").exists()
    assert list(tmp_path.iterdir()) == []  # no bundle, no staging folder left behind


def test_latents_of_the_wrong_width_are_refused_before_anything_is_written(sources, tmp_path, capsys):
    np.save(tmp_path / "z5.npy", np.zeros((10, 5), np.float32))
    assert main("import-model", sources["onnx"], "--out", tmp_path / "b", "--latents", tmp_path / "z5.npy") == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "takes latents of width 4, the latents have 5" in err
    assert main("import-model", sources["onnx"], "--out", tmp_path / "b", "--latents", tmp_path / "z5.npy",
                "--layout", "sideways") == 2
    assert not (tmp_path / "b").exists()


def test_pictures_that_do_not_match_the_rows_are_refused(sources, tmp_path, capsys):
    np.save(tmp_path / "emb.npy", np.zeros((POINTS + 1, 3), np.float32))
    assert main("import-points", tmp_path / "emb.npy", "--images", sources["root"] / "pictures",
                "--out", tmp_path / "b") == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{POINTS} pictures for {POINTS + 1} rows" in err


# -- the explorer and record, each kind ---------------------------------------------------------------
@pytest.mark.parametrize("kind", ["onnx", "torchscript", "generator", "points"])
def test_the_explorer_shows_each_kind_and_a_hover_decodes(kind, gl_app, sources, bundles):
    app, scene = open_explorer(gl_app, bundles[kind], SIZE, data_dir=None)
    index, pixel = front_point(scene)
    post_motion(pixel)
    frames(app)
    assert scene.state.pointer.hovered == index
    assert frames_until(app, lambda: scene.output_images.decoded_slot.image is not None
                        and scene.output_images.caption.startswith(f"#{index} "))
    bundle = scene.bundle
    expected = expected_images(kind, bundle, sources, bundle.latents[index:index + 1])[0]
    np.testing.assert_allclose(scene.output_images.decoded_slot.image, expected, atol=1e-5)
    assert scene.state.walk.path.kind == ("slerp" if kind == "generator" else "catmull-rom")
    if kind == "generator":  # drawn where its layout put it, not where its latent's PCA would
        np.testing.assert_allclose(scene.installed.positions, bundle.positions)
        np.testing.assert_allclose(scene.installed.projection.to_3d(bundle.latents[:5]), bundle.positions[:5], atol=1e-4)
    if kind == "points":  # the real picture beside it
        assert scene.installed.training_images is bundle.pictures


@pytest.mark.parametrize("kind", ["onnx", "torchscript", "generator", "points"])
def test_record_writes_a_video_of_each_kind(kind, sources, bundles, tmp_path, capsys):
    out = tmp_path / "walk.mp4"
    assert main("record", "--model", bundles[kind], "--through", "0,5,9", "--out", out, "--frames", 4,
                "--size", "160x120", "--layout", "image", "--crf", 10) == 0
    video, codec, size = read_video(out)
    assert (len(video), codec, size) == (4, "h264", (160, 120))
    assert np.abs(np.diff(np.stack(video).astype(int), axis=0)).sum() > 0  # the walk moves


# -- Activations and Weights ------------------------------------------------------------------------
def test_onnx_exposes_its_layers_and_weights_torchscript_says_it_does_not(sources, bundles):
    import torch

    from latentwalk.scenes.explorer.tools.insight import InsightJob, _unavailable
    from latentwalk.vae.onnx_insight import initializers

    job = InsightJob(load_bundle(bundles["onnx"]))
    job.setup()
    latent = np.random.default_rng(1).standard_normal(LATENT_DIM).astype(np.float32)
    (layers,) = job([("activations", latent)])
    dense = next(layer for layer in layers if "Gemm" in layer.description)
    with torch.inference_mode():
        np.testing.assert_allclose(dense.values, sources["decoder"].dense(torch.from_numpy(latent[None]))[0].numpy(),
                                   atol=1e-5)
    assert any(layer.values.ndim == 3 for layer in layers)  # the maps of the transposed convolution
    (weights,) = job([("initializers",)])
    assert weights == initializers(job.decoder.onnx_model)
    assert {(name, shape) for name, shape, _ in weights} >= {("dense.weight", (8 * 4, LATENT_DIM))}
    assert _unavailable(load_bundle(bundles["onnx"])) is None
    assert "TorchScript decoder does not expose its layers" in _unavailable(load_bundle(bundles["torchscript"]))
    assert "holds pictures, not a decoder" in _unavailable(load_bundle(bundles["points"]))


@pytest.mark.parametrize("kind", ["onnx", "torchscript"])
def test_the_activations_and_weights_panels_show_what_the_format_exposes(kind, gl_app, bundles):
    from latentwalk.scenes.explorer.core import commands as c

    app, scene = open_explorer(gl_app, bundles[kind], (800, 600), panels=True)
    activations, weights = scene.insight.activations_panel, scene.insight.weights_panel
    service = scene.insight.service
    scene.panels[:] = [activations]
    activations.place = (5, 5)
    frames(app, 2)
    scene.submit(c.Select(index=5, source="keyboard"))
    if kind == "onnx":  # the graph's node outputs, for the Output image's latent
        assert frames_until(app, lambda: service.activations_latent is not None and activations.shown_layers)
        np.testing.assert_array_equal(service.activations_latent, scene.bundle.latents[5])
        assert any(shape == (2, 4, 4) for _, shape in activations.shown_layers)  # the reshape's maps
        scene.panels[:] = [weights]
        weights.place = (5, 5)
        assert frames_until(app, lambda: service.initializers is not None)
        assert ("dense.weight", (32, LATENT_DIM), 32 * LATENT_DIM) in service.initializers
    else:  # nothing to run layer by layer: the panel says so, and nothing is asked of the worker
        frames(app, 10)
        assert "does not expose its layers" in service.unavailable
        assert activations.shown_layers == [] and service.activations is None
        assert service.worker.pending_count == 0


def test_without_onnxruntime_an_onnx_import_says_how_to_install_and_torchscript_still_works(
        sources, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "onnxruntime", None)
    monkeypatch.setitem(__import__("sys").modules, "onnx", None)
    z = sources["root"] / "z.npy"
    assert main("import-model", sources["onnx"], "--out", tmp_path / "a", "--latents", z) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "pip install 'latentwalk[onnx]'" in err and not (tmp_path / "a").exists()
    assert main("import-model", sources["torchscript"], "--out", tmp_path / "b", "--latents", z) == 0


def test_an_encoder_lays_out_the_samples_and_images_go_beside_given_latents(sources, tmp_path):
    import torch

    class Brightness(torch.nn.Module):  # a feature only right if it sees the generator's own -1..1 values
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.relu(x).mean(dim=(1, 2, 3)).unsqueeze(1)

    encoder = export_torchscript(Brightness(), tmp_path / "encoder.pt")
    assert main("import-model", sources["generator.onnx"], "--out", tmp_path / "g", "--sample", 40,
                "--encoder", encoder, "--output-range", "-1,1", "--no-progress") == 0
    bundle = load_bundle(tmp_path / "g")
    raw = reference_images(sources["generator"], bundle.latents, "-1,1") * 2.0 - 1.0
    assert abs(np.corrcoef(bundle.positions[:, 0], np.maximum(raw, 0).mean(axis=(1, 2, 3)))[0, 1]) > 0.9999
    assert "encoder" in bundle.meta["summary"]["layout"]

    from latentwalk.scenes.explorer.model.model_loader import training_images_for

    assert main("import-model", sources["onnx"], "--out", tmp_path / "p", "--latents", sources["root"] / "z.npy",
                "--images", sources["root"] / "pictures") == 0
    bundle = load_bundle(tmp_path / "p")
    assert bundle.pictures.shape == (POINTS, 8, 8) and bundle.kind == "onnx"  # the decoder's size, grey
    assert training_images_for(bundle, None)[0] is bundle.pictures


def test_walks_of_a_sampled_generator_are_slerp_by_default(bundles, tmp_path, capsys):
    from latentwalk.scenes.explorer.walk.curve import Curve

    assert main("walk", "--model", bundles["generator"], "--through", "2,7", "--steps", 5, "--out", tmp_path / "g.npy") == 0
    assert "slerp path" in capsys.readouterr().out
    z = load_bundle(bundles["generator"]).latents[[2, 7]].astype(np.float64)
    expected = np.stack([Curve(z, kind="slerp").at(t) for t in np.linspace(0, 1, 5)])
    np.testing.assert_allclose(np.load(tmp_path / "g.npy"), expected, atol=1e-5)
    assert main("walk", "--model", bundles["onnx"], "--through", "2,7", "--steps", 5, "--out", tmp_path / "o.npy") == 0
    assert "catmull-rom path" in capsys.readouterr().out
