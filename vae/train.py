"""Training a VAE on a Dataset, with per-epoch checkpoints and an atomic bundle at the end: the 28x28
grey ConvVAE for IDX sets, the colour network (vae.colour_model) for pictures, CIFAR-10 and shapes.

The whole training set lives on the device as one uint8 tensor (on the CPU, a folder's cache stays
memory-mapped); batches are gathered with a seeded permutation (no DataLoader, no workers), so a CPU
run is a pure function of the seed. Under torchrun (vae.distributed) the model is wrapped in
DistributedDataParallel and each process takes its DistributedSampler share of every epoch; the
batch size is the global one, so a checkpoint resumes under any number of processes.

A checkpoint is one safetensors file (`last.safetensors`) holding the model, the Adam moments
and both random generators' states, with the run's JSON state in its metadata (mirrored to
`last.json` for people). It is replaced by rename, so Ctrl-C at any moment leaves the previous
complete checkpoint intact, and `resume=True` continues exactly where it stopped.
"""
from __future__ import annotations

import json
import math
import os
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from latentwalk.vae.atomic import atomic_file, check_writable_folder, write_errors
from latentwalk.vae.bundle import MAX_IMAGE_SIDE, MAX_LATENT_DIM, check_bundle_target, finite_or_none, write_bundle
from latentwalk.vae.datasets import Dataset
from latentwalk.vae.errors import VaeError
from latentwalk.vae.safeio import first_line, parse_json, safetensors_shapes
from latentwalk.vae import distributed
from latentwalk.vae.model import ConvVAE

CHECKPOINT_FILE = "last.safetensors"
CHECKPOINT_JSON = "last.json"
MAX_CHECKPOINT_BYTES = 8 << 30  # weights and Adam's two moments of the largest model a bundle may hold
RECON_PROBE = 2000  # images whose reconstruction BCE goes into the summary


@dataclass
class TrainConfig:
    latent_dim: int = 3
    epochs: int = 30
    batch_size: int = 128
    lr: float = 1e-3
    seed: int = 0
    device: str = "auto"
    limit: int | None = None  # train on the first N training images (and test on the first N test images)
    threads: int | None = None  # torch CPU threads; None: every core this process may use
    beta: float = 1.0  # weight of the KL term (1: the ELBO)
    likelihood: str = "gaussian-learned"  # colour network only (vae.colour_model.LIKELIHOODS)
    depth: int | None = None  # colour network: halvings of the picture; None: default_widths

    def __post_init__(self) -> None:
        """Refuse a run that could only fail later (or train on nothing) before any work."""
        counts = {"epochs": self.epochs, "batch size": self.batch_size, "latent dim": self.latent_dim,
                  "limit": self.limit, "threads": self.threads}
        optional = ("limit", "threads")
        for name, value in counts.items():
            if value is None and name in optional:
                continue
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise VaeError(f"{name} must be a whole number >= 1, got {value!r}")
        if self.latent_dim > MAX_LATENT_DIM:
            raise VaeError(f"latent dim {self.latent_dim} is more than a bundle may hold ({MAX_LATENT_DIM})")
        if not (isinstance(self.lr, (int, float)) and 0 < self.lr < float("inf")):
            raise VaeError(f"learning rate must be a positive finite number, got {self.lr!r}")
        if not (isinstance(self.beta, (int, float)) and 0 < self.beta < float("inf")):
            raise VaeError(f"beta must be a positive finite number, got {self.beta!r}")
        from latentwalk.vae.colour_model import LIKELIHOODS

        if self.likelihood not in LIKELIHOODS:
            raise VaeError(f"likelihood must be one of {', '.join(LIKELIHOODS)}, got {self.likelihood!r}")
        if self.depth is not None and (not isinstance(self.depth, int) or not 2 <= self.depth <= 6):
            raise VaeError(f"depth must be a whole number from 2 to 6, got {self.depth!r}")


def collapse_warning(test_kl: float | None, class_count: int) -> str | None:
    """A warning when the trained latent code carries less information than it takes to tell the
    data set's classes apart (KL below ln(classes) nats per image): the encoder has learnt to ignore
    the image, the latent space is one grey blur, and the explorer would show near-identical decodes.
    None for a healthy run (or an unknown KL)."""
    if test_kl is None or not math.isfinite(test_kl):
        return None
    needed = math.log(max(2, class_count))
    if test_kl >= needed:
        return None
    return (f"warning: the latent space is barely used (test KL {test_kl:.2f} nats/image, less than the "
            f"{needed:.2f} it takes to tell {max(2, class_count)} classes apart): decoded images will look "
            "alike, grey blurs; train longer (--epochs), on more images (a larger --limit or none), or "
            "with another --seed")


def pick_device(name: str, local_rank: int = 0) -> torch.device:
    if name == "auto":
        return torch.device(f"cuda:{local_rank}" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise VaeError("--device cuda: this torch build sees no CUDA device")
    if name not in ("cpu", "cuda"):
        raise VaeError(f"--device {name}: choose auto, cpu or cuda")
    return torch.device(f"cuda:{local_rank}" if name == "cuda" else name)


def default_checkpoint_dir(out_dir: Path) -> Path:
    """Beside the bundle, not inside it: the bundle folder is replaced wholesale at the end."""
    return out_dir.with_name(out_dir.name + ".checkpoints")


def check_outputs(out_dir: str | Path, checkpoint_dir: str | Path | None = None) -> tuple[Path, Path]:
    """The bundle and checkpoint folders, refused in one line before any data loading or training
    if the bundle may not replace what is there or either cannot be written."""
    out_dir = Path(out_dir).expanduser().absolute()
    check_bundle_target(out_dir)
    checkpoints = Path(checkpoint_dir).expanduser() if checkpoint_dir else default_checkpoint_dir(out_dir)
    check_writable_folder(checkpoints, VaeError)
    return out_dir, checkpoints


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def _as_float(batch: torch.Tensor) -> torch.Tensor:
    """uint8 (B, H, W) or (B, H, W, C) -> float (B, C, H, W) in [0, 1]."""
    if batch.dim() == 4:
        return batch.permute(0, 3, 1, 2).float().div_(255.0).contiguous(memory_format=torch.channels_last)
    return batch.unsqueeze(1).float().div_(255.0)


def build_model(dataset: Dataset, config: TrainConfig) -> torch.nn.Module:
    """The grey 28x28-style ConvVAE for IDX sets, the colour network for picture sets."""
    if not dataset.is_colour_set:
        return ConvVAE(config.latent_dim, dataset.image_shape)
    from latentwalk.vae.colour_model import ColourVAE, NetworkSpec, default_widths

    widths = default_widths(min(dataset.image_shape))
    if config.depth is not None:
        widths = tuple(min(128, 32 * 2 ** i) for i in range(config.depth))
    spec = NetworkSpec(config.latent_dim, dataset.image_shape, dataset.channels, widths, config.likelihood)
    try:
        spec.base
    except ValueError:
        raise VaeError(f"{dataset.source}: pictures of {dataset.image_shape[0]}x{dataset.image_shape[1]} cannot be "
                       f"halved {len(widths)} times; use an --image-size that is a multiple of {2 ** len(widths)}") from None
    return ColourVAE(spec)


class TrainStep(torch.nn.Module):
    """One forward pass to (loss, reconstruction NLL, KL): the module DistributedDataParallel wraps, so
    every parameter the loss uses (a learned likelihood's sigma too) is synchronised."""

    def __init__(self, model: torch.nn.Module, beta: float, autocast: bool):
        super().__init__()
        self.model, self.beta, self.autocast = model, beta, autocast

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None):
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=self.autocast):
            logits, mean, logvar = self.model(x, generator=generator)
        recon = reconstruction_nll(self.model, logits, x)
        kl = -0.5 * torch.sum(1 + logvar.float() - mean.float().pow(2) - logvar.float().exp()) / x.shape[0]
        return recon + self.beta * kl, recon, kl


def reconstruction_nll(model: torch.nn.Module, logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Nats per image: the colour network's own likelihood, the grey one's Bernoulli (BCE)."""
    if hasattr(model, "reconstruction"):
        return model.reconstruction(logits, x)
    return torch.nn.functional.binary_cross_entropy_with_logits(logits.float(), x, reduction="sum") / x.shape[0]


class Trainer:
    def __init__(self, dataset: Dataset, config: TrainConfig, world: distributed.World | None = None):
        self.dataset = dataset
        self.config = config
        self.world = world or distributed.World()
        self.device = pick_device(config.device, self.world.local_rank)
        torch.set_num_threads(config.threads or max(1, _cpu_count() // self.world.size))
        shape = dataset.image_shape
        if not all(0 < side <= MAX_IMAGE_SIDE and side % 4 == 0 for side in shape):
            raise VaeError(f"{dataset.source}: images are {shape}; the model needs sides that are positive "
                           f"multiples of 4, at most {MAX_IMAGE_SIDE}")
        count = len(dataset.train_images) if config.limit is None else min(config.limit, len(dataset.train_images))
        self.train_images = self._on_device(dataset.train_images[:count])
        test_count = len(dataset.test_images) if config.limit is None else min(config.limit, len(dataset.test_images))
        self.test_images = self._on_device(dataset.test_images[:test_count])
        torch.manual_seed(config.seed)
        self.model = build_model(dataset, config).to(self.device)
        self.recon_name = "nll" if dataset.is_colour_set else "bce"
        if self.device.type == "cpu":
            # oneDNN runs the transposed convs channels-last: ~13% faster steps measured on 1 thread
            self.model.to(memory_format=torch.channels_last)
        autocast = self.device.type == "cuda" and torch.cuda.is_bf16_supported()
        self.precision = "bf16 autocast" if autocast else "float32"
        self.step_module = TrainStep(self.model, config.beta, autocast)
        if self.world.distributed:
            from torch.nn.parallel import DistributedDataParallel

            ids = [self.device.index] if self.device.type == "cuda" else None
            self.step_module = DistributedDataParallel(self.step_module, device_ids=ids)
        self.optimizer = torch.optim.Adam([p for p in self.model.parameters() if p.requires_grad], lr=config.lr)
        self.shuffle_rng = torch.Generator().manual_seed(config.seed)
        self.noise_rng = torch.Generator(device=self.device).manual_seed(config.seed + 1 + 7919 * self.world.rank)
        self.epoch = 0
        self.history: list[dict] = []
        self.elapsed_s = 0.0

    def _on_device(self, images: np.ndarray) -> torch.Tensor:
        """A uint8 tensor of `images`: on the CPU a memory map is wrapped, not read (its pages are read
        as batches touch them, once; the cache stays the only copy)."""
        array = np.ascontiguousarray(images)
        if isinstance(array, np.memmap) and not array.flags.writeable:
            array = np.array(array)
        return torch.from_numpy(array).to(self.device)

    def epoch_order(self) -> torch.Tensor:
        """This process's indices for the coming epoch: a seeded permutation alone, a DistributedSampler
        share of it under torchrun (the same epoch seed on every rank, so shares never overlap)."""
        count = len(self.train_images)
        if not self.world.distributed:
            return torch.randperm(count, generator=self.shuffle_rng)
        from torch.utils.data import DistributedSampler

        sampler = DistributedSampler(range(count), num_replicas=self.world.size, rank=self.world.rank,
                                     shuffle=True, seed=self.config.seed, drop_last=False)
        sampler.set_epoch(self.epoch)
        return torch.tensor(list(sampler), dtype=torch.int64)

    @property
    def local_batch(self) -> int:
        return max(1, -(-self.config.batch_size // self.world.size))

    # ------------------------------------------------------------ steps
    def train_epoch(self, progress: bool, on_batch: Callable[[int], None] | None = None) -> float:
        from tqdm import tqdm

        self.model.train()
        order = self.epoch_order().to(self.device)
        batch = self.local_batch
        totals = torch.zeros(2, device=self.device, dtype=torch.float64)
        batches = range(0, len(order), batch)
        with tqdm(batches, desc=f"epoch {self.epoch + 1}/{self.config.epochs}", unit="batch",
                  disable=not (progress and self.world.is_main), leave=False, dynamic_ncols=True) as bar:
            for step, start in enumerate(bar):
                x = _as_float(self.train_images[order[start:start + batch]])
                loss, _, _ = self.step_module(x, generator=self.noise_rng)
                self.optimizer.zero_grad(set_to_none=True)
                loss.backward()
                self.optimizer.step()
                totals[0] += loss.detach().double() * len(x)
                totals[1] += len(x)
                if on_batch is not None:
                    on_batch(step)
                if step % 25 == 0:
                    bar.set_postfix(loss=f"{(totals[0] / totals[1]).item():.2f}")
        totals = distributed.sum_across(totals, self.world)
        return (totals[0] / totals[1]).item()

    @torch.no_grad()
    def evaluate(self, images: torch.Tensor, batch_size: int = 1000) -> dict:
        """Negative ELBO (beta 1) split into reconstruction + KL, nats per image, with a fixed noise seed;
        each process takes its shard of `images`, the sums are added across processes."""
        self.model.eval()
        rng = torch.Generator(device=self.device).manual_seed(self.config.seed + 2 + 7919 * self.world.rank)
        start_row, end_row = distributed.shard(len(images), self.world)
        sums = torch.zeros(3, device=self.device, dtype=torch.float64)
        plain = TrainStep(self.model, 1.0, self.step_module_autocast)
        for start in range(start_row, end_row, batch_size):
            x = _as_float(images[start:min(start + batch_size, end_row)])
            parts = plain(x, generator=rng)
            sums += torch.stack(parts).double() * len(x)
        neg_elbo, recon, kl = (distributed.sum_across(sums, self.world) / max(1, len(images))).tolist()
        return {"elbo": -neg_elbo, self.recon_name: recon, "kl": kl}

    @property
    def step_module_autocast(self) -> bool:
        return self.precision == "bf16 autocast"

    @torch.no_grad()
    def encode_means(self, batch_size: int = 1000) -> np.ndarray | None:
        """The encoder means of every training image, in order, on rank 0 (None on the others): each
        process encodes its contiguous shard."""
        self.model.eval()
        start_row, end_row = distributed.shard(len(self.train_images), self.world)
        parts = [self.model.encoder(_as_float(self.train_images[start:min(start + batch_size, end_row)]))[0].float().cpu()
                 for start in range(start_row, end_row, batch_size)]
        part = torch.cat(parts).numpy() if parts else np.zeros((0, self.config.latent_dim), np.float32)
        return distributed.gather_rows(part.astype(np.float32), len(self.train_images), self.world, self.device)

    @torch.no_grad()
    def reconstruction_nll(self, means: np.ndarray) -> float:
        """Mean reconstruction NLL (nats per image; BCE for the grey model) of the first images decoded
        from their latent means."""
        self.model.eval()
        count = min(RECON_PROBE, len(means))
        x = _as_float(self.train_images[:count])
        logits = self.model.decoder(torch.from_numpy(means[:count]).to(self.device))
        return reconstruction_nll(self.model, logits, x).item()

    # ------------------------------------------------------------ checkpoints
    def state_json(self) -> dict:
        return {"epoch": self.epoch, "config": asdict(self.config), "dataset": self.dataset.name,
                "train_count": len(self.train_images), "history": self.history,
                "elapsed_s": round(self.elapsed_s, 3), "torch": torch.__version__}

    def save_checkpoint(self, folder: Path) -> Path:
        from safetensors.torch import save_file

        with write_errors(folder, VaeError):
            folder.mkdir(parents=True, exist_ok=True)
        tensors = {f"model.{k}": v.detach().cpu().contiguous() for k, v in self.model.state_dict().items()}
        optim_state = self.optimizer.state_dict()
        for index, slots in optim_state["state"].items():
            for key, value in slots.items():
                tensors[f"optim.{index}.{key}"] = torch.as_tensor(value).detach().cpu().contiguous()
        tensors["rng.shuffle"] = self.shuffle_rng.get_state()
        tensors["rng.noise"] = self.noise_rng.get_state().cpu()
        state = self.state_json()
        state["world_size"] = self.world.size
        state["param_groups"] = optim_state["param_groups"]
        path = folder / CHECKPOINT_FILE
        with write_errors(path, VaeError), atomic_file(path) as temp:
            save_file(tensors, str(temp), metadata={"state": json.dumps(state)})
        with write_errors(folder / CHECKPOINT_JSON, VaeError), atomic_file(folder / CHECKPOINT_JSON) as temp:
            temp.write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
        return path

    def load_checkpoint(self, folder: Path) -> None:
        """Restore from `folder`; a missing, hostile or foreign checkpoint is one VaeError line naming it."""
        from safetensors import SafetensorError

        path = folder / CHECKPOINT_FILE
        if not os.path.lexists(path):
            raise VaeError(f"{path}: no checkpoint to resume from")
        safetensors_shapes(path, VaeError, max_bytes=MAX_CHECKPOINT_BYTES)  # a regular file its length backs
        try:
            self._restore(path)
        except (SafetensorError, OSError, KeyError, TypeError, ValueError, AttributeError, IndexError,
                RuntimeError, OverflowError) as exc:
            raise VaeError(f"{path}: unreadable checkpoint ({type(exc).__name__}: {first_line(exc)})") from None

    def _restore(self, path: Path) -> None:
        from safetensors import safe_open

        with safe_open(str(path), framework="pt") as handle:
            state = parse_json(handle.metadata()["state"], path, VaeError)
            tensors = {key: handle.get_tensor(key) for key in handle.keys()}
        saved = state["config"]
        for key in ("latent_dim", "batch_size", "seed", "limit"):
            if saved.get(key) != getattr(self.config, key):
                raise VaeError(f"{path}: checkpoint has {key}={saved.get(key)!r}, this run {getattr(self.config, key)!r}")
        if state.get("dataset") != self.dataset.name:
            raise VaeError(f"{path}: checkpoint is of data set {state.get('dataset')!r}, not {self.dataset.name!r}")
        model_state = {k[len("model."):]: v for k, v in tensors.items() if k.startswith("model.")}
        optim_slots: dict[int, dict] = {}
        for key, value in tensors.items():
            if key.startswith("optim."):
                _, index, slot = key.split(".", 2)
                optim_slots.setdefault(int(index), {})[slot] = value
        try:
            self.model.load_state_dict(model_state)
            self.optimizer.load_state_dict({"state": optim_slots, "param_groups": state["param_groups"]})
        except (RuntimeError, ValueError, KeyError) as exc:
            raise VaeError(f"{path}: checkpoint does not fit this model ({str(exc).splitlines()[0]})") from None
        self.shuffle_rng.set_state(tensors["rng.shuffle"])
        saved_noise = tensors["rng.noise"]
        if self.world.rank == 0 and saved_noise.shape == self.noise_rng.get_state().shape:
            self.noise_rng.set_state(saved_noise)
        else:  # another rank (its own stream), or a generator of another device: seeded from the epoch
            self.noise_rng.manual_seed(self.config.seed + 1 + 7919 * self.world.rank + 104729 * int(state["epoch"]))
        self.epoch = int(state["epoch"])
        self.history = list(state["history"])
        self.elapsed_s = float(state.get("elapsed_s", 0.0))


def train(dataset: Dataset, out_dir: str | Path, config: TrainConfig, *, checkpoint_dir: str | Path | None = None,
          resume: bool = False, progress: bool = True, log: Callable[[str], None] = print,
          warn: Callable[[str], None] = lambda line: print(line, file=sys.stderr),
          on_batch: Callable[[int], None] | None = None, world: distributed.World | None = None) -> Path:
    """Train, checkpoint every epoch, write the bundle; returns the bundle's path. A run whose latent
    code collapsed ends with a warning through `warn` (collapse_warning). Under torchrun (`world`, see
    vae.distributed) every process trains; rank 0 alone logs, checkpoints and writes the bundle.

    `on_batch(step)` runs after every optimizer step (tests use it to interrupt mid-epoch).
    """
    world = world or distributed.World()
    out_dir, checkpoints = check_outputs(out_dir, checkpoint_dir)  # before hours of training, not after
    if not world.is_main:
        log = warn = lambda line: None  # noqa: E731  (one voice: rank 0's)
    threads_before = torch.get_num_threads()
    try:
        trainer = Trainer(dataset, config, world)
        if resume:
            trainer.load_checkpoint(checkpoints)
            log(f"resuming after epoch {trainer.epoch} from {checkpoints / CHECKPOINT_FILE}")
        where = f"device {trainer.device}" if world.size == 1 else f"{world.size} processes ({trainer.device} on rank 0)"
        log(f"training on {len(trainer.train_images)} {dataset.name} images, {config.latent_dim}-d latent, "
            f"{where}, {torch.get_num_threads()} CPU threads" + (", bf16" if trainer.step_module_autocast else ""))
        try:
            _run_epochs(trainer, checkpoints, progress, log, on_batch)
            path = _write_result(trainer, out_dir, log)
            last = trainer.history[-1] if trainer.history else {}
            warning = collapse_warning(last.get("test_kl"), len(dataset.class_names))
            if warning:
                warn(warning)
            return path
        except KeyboardInterrupt:
            if trainer.epoch:
                log(f"interrupted: the last complete checkpoint (epoch {trainer.epoch}) is "
                    f"{checkpoints / CHECKPOINT_FILE}; continue with --resume")
            else:
                log("interrupted before the first epoch finished: no checkpoint written")
            raise
    finally:
        torch.set_num_threads(threads_before)


def _run_epochs(trainer: Trainer, checkpoints: Path, progress: bool, log: Callable[[str], None],
                on_batch: Callable[[int], None] | None) -> None:
    epochs, recon = trainer.config.epochs, trainer.recon_name
    while trainer.epoch < epochs:
        started = time.perf_counter()
        train_loss = trainer.train_epoch(progress, on_batch)
        test = trainer.evaluate(trainer.test_images)
        seconds = time.perf_counter() - started
        trainer.epoch += 1
        trainer.elapsed_s += seconds
        trainer.history.append({"epoch": trainer.epoch, "train_loss": train_loss, "test_elbo": test["elbo"],
                                f"test_{recon}": test[recon], "test_kl": test["kl"], "seconds": round(seconds, 3)})
        if trainer.world.is_main:
            trainer.save_checkpoint(checkpoints)
        distributed.barrier(trainer.world)  # no rank runs ahead of a checkpoint it might resume from
        log(f"epoch {trainer.epoch}/{epochs}: train loss {train_loss:.2f}, test ELBO {test['elbo']:.2f} "
            f"({recon.upper()} {test[recon]:.2f} + KL {test['kl']:.2f}) nats/image, {seconds:.1f} s")


def _write_result(trainer: Trainer, out_dir: Path, log: Callable[[str], None]) -> Path:
    """The bundle: latents are the encoder means of every training image, in data-set order (each
    process encodes its shard; rank 0 writes)."""
    config, dataset, world = trainer.config, trainer.dataset, trainer.world
    means = trainer.encode_means()
    devices = distributed.devices_of(trainer.device, world)
    if not world.is_main:
        distributed.barrier(world)
        return out_dir
    labels = dataset.train_labels[: len(means)].astype(np.int64)
    last = trainer.history[-1] if trainer.history else {}
    probe = min(RECON_PROBE, len(means))
    recon = trainer.recon_name
    summary = {
        "trained_by": "latentwalk train",
        "epochs": trainer.epoch, "batch_size": config.batch_size, "lr": config.lr, "seed": config.seed,
        "train_count": len(means), "device": str(trainer.device), "seconds": round(trainer.elapsed_s, 1),
        "test_elbo": finite_or_none(last.get("test_elbo", float("nan"))),
        f"test_{recon}": finite_or_none(last.get(f"test_{recon}", float("nan"))),
        "test_kl": finite_or_none(last.get("test_kl", float("nan"))),
        f"recon_{recon}_first_{probe}": finite_or_none(trainer.reconstruction_nll(means)),
        "torch": torch.__version__,
    }
    if dataset.is_colour_set:
        summary.update(beta=config.beta, world_size=world.size, devices=devices, precision=trainer.precision,
                       history=[{key: finite_or_none(value) if isinstance(value, float) else value
                                 for key, value in entry.items()} for entry in trainer.history])
    factors = dataset.train_factors[: len(means)] if dataset.train_factors is not None else None
    extra = {} if not dataset.is_colour_set else {
        "preprocessing": dataset.preprocessing, "factors": factors, "factor_names": dataset.factor_names}
    path = write_bundle(out_dir, decoder=trainer.model.decoder.cpu(), encoder=trainer.model.encoder.cpu(),
                        latents=means, labels=labels, dataset=dataset.name, class_names=dataset.class_names,
                        summary=summary, **extra)
    distributed.barrier(world)
    log(f"wrote {path}: test ELBO {last.get('test_elbo', float('nan')):.2f}, reconstruction "
        f"{recon.upper()} of the first {probe} training images {summary[f'recon_{recon}_first_{probe}']:.2f} nats/image")
    return path
