"""Console entry point: ``sky`` runs the Rust CLI."""
import sys


def main() -> None:
    from sky import _sky  # pylint: disable=import-outside-toplevel
    sys.exit(_sky.cli_main(sys.argv[1:]))


if __name__ == '__main__':
    main()
