"""Storage enums."""
import enum


class StoreType(enum.Enum):
    """Bucket backends."""
    S3 = 'S3'
    GCS = 'GCS'
    AZURE = 'AZURE'
    R2 = 'R2'
    IBM = 'IBM'
    OCI = 'OCI'
    NEBIUS = 'NEBIUS'
    COREWEAVE = 'COREWEAVE'
    VASTDATA = 'VASTDATA'
    HF = 'HF'
    VOLUME = 'VOLUME'


class StorageMode(enum.Enum):
    """How a bucket appears on the nodes."""
    MOUNT = 'MOUNT'
    COPY = 'COPY'
    MOUNT_CACHED = 'MOUNT_CACHED'


class FileMountType(enum.Enum):
    """Access pattern hints for MOUNT_CACHED."""
    MODEL_CHECKPOINT_RO = 'MODEL_CHECKPOINT_RO'
    MODEL_CHECKPOINT_RW = 'MODEL_CHECKPOINT_RW'
    DATASET_RO = 'DATASET_RO'
    DATASET_RW = 'DATASET_RW'
