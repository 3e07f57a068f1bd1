"""Training and encoding past one process, on PyTorch's own engine: `torchrun --nproc-per-node N -m
latentwalk train ...` starts N copies that find each other through torchrun's environment (RANK,
WORLD_SIZE, LOCAL_RANK, MASTER_ADDR/PORT); NCCL joins them on GPUs, gloo on the CPU.

Rank 0 alone writes files and prints; every rank computes. Work over a fixed list of inputs (the
final encoding of the training set, `latentwalk encode`) is cut into contiguous shards, one per
rank, and gathered back on rank 0 in input order.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import torch
import torch.distributed as dist


@dataclass(frozen=True)
class World:
    rank: int = 0
    size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return dist.is_available() and dist.is_initialized()


def launched_by_torchrun() -> bool:
    return "WORLD_SIZE" in os.environ and "RANK" in os.environ and "MASTER_ADDR" in os.environ


def join(device_name: str = "auto") -> World:
    """Join torchrun's process group (once); one process alone when not launched by torchrun."""
    if not launched_by_torchrun():
        return World()
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if not dist.is_initialized():
        use_cuda = device_name != "cpu" and torch.cuda.is_available()
        if use_cuda:
            torch.cuda.set_device(local_rank)
        dist.init_process_group("nccl" if use_cuda else "gloo")
    return World(dist.get_rank(), dist.get_world_size(), local_rank)


def leave() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def shard(count: int, world: World) -> tuple[int, int]:
    """[start, end) of this rank's contiguous share of `count` rows (the first ranks take one more)."""
    base, extra = divmod(count, world.size)
    start = world.rank * base + min(world.rank, extra)
    return start, start + base + (1 if world.rank < extra else 0)


def gather_rows(part: np.ndarray, count: int, world: World, device: torch.device | str = "cpu") -> np.ndarray | None:
    """Every rank's shard (rows of shard()) stacked in rank order on rank 0 (None elsewhere)."""
    if not world.distributed:
        return part
    longest = count // world.size + (1 if count % world.size else 0)
    padded = torch.zeros((longest, *part.shape[1:]), dtype=torch.float32, device=device)
    padded[:len(part)] = torch.from_numpy(np.ascontiguousarray(part, np.float32)).to(device)
    pieces = [torch.empty_like(padded) for _ in range(world.size)]
    dist.all_gather(pieces, padded)
    if not world.is_main:
        return None
    rows = []
    for rank, piece in enumerate(pieces):
        start, end = shard(count, World(rank, world.size))
        rows.append(piece[:end - start].cpu().numpy())
    return np.concatenate(rows)


def sum_across(values: torch.Tensor, world: World) -> torch.Tensor:
    if world.distributed:
        dist.all_reduce(values)
    return values


def devices_of(device: torch.device, world: World) -> list[str]:
    """Each rank's device, named (`cuda:0 NVIDIA H100 80GB HBM3`, `cpu`), in rank order."""
    name = str(device)
    if device.type == "cuda":
        name += " " + torch.cuda.get_device_name(device)
    if not world.distributed:
        return [name]
    names: list = [None] * world.size
    dist.all_gather_object(names, name)
    return [str(entry) for entry in names]


def barrier(world: World) -> None:
    if world.distributed:
        dist.barrier()


def broadcast_object(value, world: World):
    """Rank 0's `value` on every rank."""
    if not world.distributed:
        return value
    box = [value]
    dist.broadcast_object_list(box, src=0)
    return box[0]
