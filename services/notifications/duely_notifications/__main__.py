from duely_notifications.main import main

main()
