from dotbox.cli import main

main()
