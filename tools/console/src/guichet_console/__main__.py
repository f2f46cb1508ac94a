from guichet_console.cli import main

main()
