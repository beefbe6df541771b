from dotbox.entry import main

main()
