"""Cloud classes (``sky.AWS()``, ...): names the Rust core understands."""


class Cloud:
    """A cloud or infra provider; ``str()`` gives SkyPilot's display name."""
    _REPR = '<Cloud>'
    _NAME = ''

    def __repr__(self) -> str:
        return self._REPR

    def __str__(self) -> str:
        return self._REPR

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Cloud) and other._NAME == self._NAME

    def __hash__(self) -> int:
        return hash(self._NAME)

    def is_same_cloud(self, other: 'Cloud') -> bool:
        return self == other

    @property
    def canonical_name(self) -> str:
        return self._NAME


def _make(name: str, display: str) -> type:
    return type(display, (Cloud,), {'_REPR': display, '_NAME': name})


AWS = _make('aws', 'AWS')
Azure = _make('azure', 'Azure')
Cudo = _make('cudo', 'Cudo')
DO = _make('do', 'DO')
Fluidstack = _make('fluidstack', 'Fluidstack')
GCP = _make('gcp', 'GCP')
Hyperbolic = _make('hyperbolic', 'Hyperbolic')
IBM = _make('ibm', 'IBM')
Kubernetes = _make('kubernetes', 'Kubernetes')
Lambda = _make('lambda', 'Lambda')
Mithril = _make('mithril', 'Mithril')
Nebius = _make('nebius', 'Nebius')
OCI = _make('oci', 'OCI')
Paperspace = _make('paperspace', 'Paperspace')
PrimeIntellect = _make('primeintellect', 'PrimeIntellect')
RunPod = _make('runpod', 'RunPod')
SCP = _make('scp', 'SCP')
Seeweb = _make('seeweb', 'Seeweb')
Shadeform = _make('shadeform', 'Shadeform')
Slurm = _make('slurm', 'Slurm')
SSH = _make('ssh', 'SSH')
Vast = _make('vast', 'Vast')
Verda = _make('verda', 'Verda')
Vsphere = _make('vsphere', 'vSphere')
Yotta = _make('yotta', 'Yotta')
Local = _make('local', 'Local')

_BY_NAME = {
    c._NAME: c for c in (AWS, Azure, Cudo, DO, Fluidstack, GCP, Hyperbolic, IBM,
                         Kubernetes, Lambda, Mithril, Nebius, OCI, Paperspace,
                         PrimeIntellect, RunPod, SCP, Seeweb, Shadeform, Slurm,
                         SSH, Vast, Verda, Vsphere, Yotta, Local)
}


def _from_name(name: str) -> Cloud:
    return _BY_NAME[name]()
