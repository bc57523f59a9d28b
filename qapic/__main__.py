from qapic.cli import console

console()
