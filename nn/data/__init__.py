"""nn.data: datasets, DataLoader, random_split, KFold and ready-made datasets."""
from . import datasets
from .dataloader import DataLoader, default_collate
from .dataset import ConcatDataset, Dataset, KFold, Subset, TensorDataset, random_split

__all__ = ["Dataset", "TensorDataset", "Subset", "ConcatDataset", "DataLoader", "default_collate",
           "random_split", "KFold", "datasets"]
