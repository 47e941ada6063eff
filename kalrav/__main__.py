from kalrav.cli import main

main()
