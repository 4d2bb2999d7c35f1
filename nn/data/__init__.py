"""nn.data: datasets, samplers, DataLoader, random_split, KFold and ready-made datasets."""
from . import datasets
from .dataloader import DataLoader, default_collate
from .dataset import (ChainDataset, ConcatDataset, Dataset, IterableDataset, KFold, Subset, TensorDataset,
                      random_split)
from .sampler import (BatchSampler, DistributedSampler, RandomSampler, Sampler, SequentialSampler,
                      SubsetRandomSampler, WeightedRandomSampler)

__all__ = ["Dataset", "IterableDataset", "ChainDataset", "TensorDataset", "Subset", "ConcatDataset", "DataLoader",
           "default_collate", "random_split", "KFold", "datasets", "Sampler", "SequentialSampler",
           "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler", "BatchSampler",
           "DistributedSampler"]
